"""One live keyboard per chat: the keyboard the bot showed last (sent, or edited in place) is
the current one; a tap on any older keyboard is out of date. It is answered with a toast and
the current menu (handlers/fallback.py), and reaches no handler: an old bet keyboard scrolled
back to places nothing.

The record is one Redis key per chat (`croupier:bot:<bot id>:keyboard:<chat id>`), written by
a Bot API request middleware that sees every message the bot sends or edits, so no handler has
to remember to write it. Buttons that must keep working from any message (`EXEMPT`) neither
become the current keyboard nor are ever refused: a crash bet's cash-out and status, the tiles
and cash-out of an open mines game and its stake taken back before the first tile, the reality
check's acknowledgement, deposits (an invoice of its own), a pending withdrawal's cancel (the
withdrawal's state decides).

A tap on the keyboard that was current until a moment ago (`JUST_REPLACED_SECONDS`) is a
double tap, or a tap that crossed the answer on its way: it is answered with a toast pointing
at the message below and nothing else (no second menu), the old keyboard still taken off.

Redis lost, or the record expired: every tap is accepted. Money stays right anyway, because
every bet is idempotent on the key its button carries (a double tap is one bet); only the
tidiness is lost."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.filters import Filter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from redis.asyncio import Redis
from redis.exceptions import RedisError

from entrypoints.bot.handlers.crash import CrashCash, CrashLook
from entrypoints.bot.handlers.mines import MinesCash, MinesTile, MinesVoid
from entrypoints.bot.keyboards import Care, Deposit
from entrypoints.bot.withdraw_keyboards import CancelWithdrawalButton

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response

log = logging.getLogger(__name__)

# Keyboards stay tappable for ever; a record older than this is dropped, and a tap on a
# keyboard of that age is accepted (as without Redis).
KEEP_SECONDS = 30 * 24 * 3600
# How long the keyboard a new one replaced still counts as "just replaced": a double tap's
# second tap, or a tap sent while the answer to the first was on its way.
JUST_REPLACED_SECONDS = 5

# Callback data prefixes of buttons that work from any message, and whole callback data of
# single buttons that do. A new button of that kind (a withdrawal's cancel) is added here.
EXEMPT_PREFIXES = frozenset(
    {CrashCash.__prefix__, CrashLook.__prefix__, MinesTile.__prefix__, MinesCash.__prefix__,
     MinesVoid.__prefix__, Deposit.__prefix__, CancelWithdrawalButton.__prefix__}
)  # fmt: skip
EXEMPT_DATA = frozenset({Care(action="ack").pack()})


def exempt(data: str | None) -> bool:
    """Whether a button works from any message, current or not."""
    if data is None:
        return False
    return data in EXEMPT_DATA or data.split(":", 1)[0] in EXEMPT_PREFIXES


def navigates(markup: InlineKeyboardMarkup) -> bool:
    """A keyboard with a button that is not exempt: showing it makes it the current one."""
    return any(
        button.callback_data is not None and not exempt(button.callback_data)
        for row in markup.inline_keyboard
        for button in row
    )


def only_navigates(markup: InlineKeyboardMarkup | None) -> bool:
    """A keyboard with no button that works anywhere: once out of date, nothing on it works,
    so it can be taken off its message."""
    if markup is None:
        return False
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    return all(d is not None and not exempt(d) for d in data)


class Staleness(enum.Enum):
    JUST_REPLACED = "just_replaced"  # current a moment ago: a double tap, or a crossed one
    OLD = "old"


class LiveKeyboards:
    """The per-chat record of the current keyboard's message."""

    def __init__(self, redis: Redis, bot_id: int) -> None:
        self._redis = redis
        self._bot_id = bot_id

    def _key(self, chat_id: int) -> str:
        return f"croupier:bot:{self._bot_id}:keyboard:{chat_id}"

    def _replaced_key(self, chat_id: int) -> str:
        return f"croupier:bot:{self._bot_id}:keyboard-replaced:{chat_id}"

    async def current(self, chat_id: int) -> int | None:
        """The current keyboard's message id; None when unknown (never recorded, expired, or
        Redis unreachable): then every keyboard counts as current."""
        try:
            found = await self._redis.get(self._key(chat_id))
        except (RedisError, OSError):
            log.warning("current keyboard unknown (Redis); accepting the tap")
            return None
        return int(found) if found is not None else None

    async def remember(self, chat_id: int, message_id: int) -> None:
        try:
            before = await self._redis.set(
                self._key(chat_id), message_id, ex=KEEP_SECONDS, get=True
            )
            if before is not None and int(before) != message_id:
                await self._redis.set(
                    self._replaced_key(chat_id), int(before), ex=JUST_REPLACED_SECONDS
                )
        except (RedisError, OSError):
            log.warning("current keyboard not recorded (Redis)")

    async def out_of_date(self, query: CallbackQuery) -> bool:
        return await self.staleness(query) is not None

    async def staleness(self, query: CallbackQuery) -> Staleness | None:
        """None when the tapped keyboard is current (or exempt, or nothing is known); else
        whether it was replaced a moment ago or long before."""
        message = query.message
        if not isinstance(message, Message) or exempt(query.data):
            return None
        chat_id = message.chat.id
        current = await self.current(chat_id)
        if current is None or current == message.message_id:
            return None
        try:
            replaced = await self._redis.get(self._replaced_key(chat_id))
        except (RedisError, OSError):
            replaced = None
        if replaced is not None and int(replaced) == message.message_id:
            return Staleness.JUST_REPLACED
        return Staleness.OLD


class TrackKeyboards(BaseRequestMiddleware):
    """Records the message of every navigating keyboard the bot sends or edits."""

    def __init__(self, live: LiveKeyboards) -> None:
        self.live = live

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        result = await make_request(bot, method)
        # The session hands back the method's result (a Message), whatever the annotation.
        shown: Any = result
        markup = getattr(method, "reply_markup", None)
        if (
            isinstance(shown, Message)
            and isinstance(markup, InlineKeyboardMarkup)
            and navigates(markup)
        ):
            await self.live.remember(shown.chat.id, shown.message_id)
        return result


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class KeepTrack(BaseMiddleware):
    """Puts the tracker on the session of whichever Bot feeds the dispatcher (the webhook's,
    polling's, a test's), once, and hands filters the record as `live_keyboards`."""

    def __init__(self, live: LiveKeyboards) -> None:
        self._tracker = TrackKeyboards(live)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot | None = data.get("bot")
        if bot is not None and not any(m is self._tracker for m in bot.session.middleware):
            bot.session.middleware(self._tracker)
        data["live_keyboards"] = self._tracker.live
        return await handler(event, data)


class OutOfDate(Filter):
    """A tap on a keyboard older than the chat's current one (and not exempt); the handler is
    told so (`stale`)."""

    async def __call__(
        self, query: CallbackQuery, live_keyboards: LiveKeyboards
    ) -> bool | dict[str, Any]:
        staleness = await live_keyboards.staleness(query)
        if staleness is None:
            return False
        return {"stale": True, "just_replaced": staleness is Staleness.JUST_REPLACED}
