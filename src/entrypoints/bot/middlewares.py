"""Cross-cutting bot concerns: name each update in the logs, drop repeated updates, throttle
taps, load the player with their language before any handler runs, and end a typed prompt
when the player does something else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Chat,
    Message,
    PreCheckoutQuery,
    TelegramObject,
    Update,
    User,
)
from dishka import AsyncContainer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.onboarding import StartPlayer
from domain.referrals import referral_code_from_start
from entrypoints.bot.commands import COMMANDS
from entrypoints.bot.groups import is_group_duel
from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.observability import context

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateContext(BaseMiddleware):
    """Lines logged while an update is handled carry `request_id` `tg-<update id>` (in webhook
    mode too, where the HTTP request's own id comes back once the update is handled)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        tokens = (
            (context.request_id, context.request_id.set(f"tg-{event.update_id}")),
            (context.bet_id, context.bet_id.set(None)),
        )
        try:
            return await handler(event, data)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)


# Telegram may deliver an update again (a retry after a slow answer); it is processed once.
DEDUPE_SECONDS = 24 * 3600


class DropRepeatedUpdates(BaseMiddleware):
    """Remembers update ids in Redis. Without Redis every update is processed: money stays
    right anyway, because every money movement is idempotent on its own key."""

    def __init__(self, redis: Redis, bot_id: int) -> None:
        self._redis = redis
        self._bot_id = bot_id

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            key = f"croupier:bot:{self._bot_id}:update:{event.update_id}"
            try:
                first = await self._redis.set(key, b"1", nx=True, ex=DEDUPE_SECONDS)
            except (RedisError, OSError):
                log.warning("update de-duplication unavailable (Redis); processing anyway")
                first = True
            if not first:
                log.info("dropping repeated update %s", event.update_id)
                return None
        return await handler(event, data)


class Throttle(BaseMiddleware):
    """At most `limit` messages and taps per user per `window` seconds."""

    def __init__(self, redis: Redis, *, limit: int = 10, window: int = 3) -> None:
        self._redis = redis
        self._limit = limit
        self._window = window

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or isinstance(event, PreCheckoutQuery):
            return await handler(event, data)  # a payment check is never throttled away
        key = f"croupier:bot:throttle:{user.id}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
                count, _ = await pipe.execute()
        except (RedisError, OSError):
            return await handler(event, data)
        if int(count) > self._limit:
            translate = Translator(pick_language(user.language_code))
            if isinstance(event, CallbackQuery):
                await event.answer(translate("errors.slow_down"), show_alert=False)
            elif isinstance(event, Message):
                await event.answer(translate("errors.slow_down"))
            return None
        return await handler(event, data)


class PlayerContext(BaseMiddleware):
    """Registers (idempotently) the Telegram user behind a message or tap and hands handlers
    `player`, `preferences` and a translator `t` in the player's language.

    Only a person has an account: a message with no user, or from a bot (an anonymous group
    admin posts as one, a channel writing in a group as another), reaches no handler — every
    handler serves a player — and is answered that the bot serves people only.

    Only a private chat is played in: in a group a balance, a bet or a limit would be shown to
    everyone there, so nothing there reaches a handler and nobody is registered by writing in
    one. One of the bot's own commands or a tap there is answered with where to play; anything
    else (another bot's command, chat) was not for the bot and gets nothing. The one exception
    is a duel's command or tap (`groups.is_group_duel`), handed on unregistered (no `player`)
    to the duel handlers, which serve only players who started the bot in private."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        container: AsyncContainer | None = data.get("dishka_container")
        if user is None or user.is_bot:
            await _serve_people_only(event, user)
            return None
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != ChatType.PRIVATE:
            if is_group_duel(event):  # the duel commands alone (entrypoints/bot/groups.py)
                data["t"] = Translator(pick_language(user.language_code))
                return await handler(event, data)
            await _play_in_private(event, user)
            return None
        if container is None:
            return await handler(event, data)
        start = await container.get(StartPlayer)
        referral = None
        if isinstance(event, Message) and event.text and event.text.startswith("/start "):
            # A deep link `?start=ref_<code>` arrives as "/start ref_<code>"; any other
            # payload (or none) carries no referral.
            referral = referral_code_from_start(event.text.removeprefix("/start "))
        onboarded = await start(
            user.id,
            username=user.username,
            language=pick_language(user.language_code),
            referral_code=referral,
        )
        data["player"] = onboarded.player
        data["preferences"] = onboarded.preferences
        data["standing"] = onboarded.standing
        data["t"] = Translator(onboarded.preferences.language)
        return await handler(event, data)


async def _play_in_private(event: TelegramObject, user: User) -> None:
    text = Translator(pick_language(user.language_code))("errors.private_only")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message) and _own_command(event.text or ""):
        await event.reply(text)


def _own_command(text: str) -> bool:
    """ "/start", "/help@this_bot": a command of the menu (aiogram routes "@other_bot" ones
    to nobody, and "/nonsense" may be another bot's)."""
    if not text.startswith("/"):
        return False
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0] in COMMANDS


async def _serve_people_only(event: TelegramObject, user: User | None) -> None:
    text = Translator(pick_language(user.language_code if user else None))("errors.person_only")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message):
        await event.answer(text)
    elif isinstance(event, PreCheckoutQuery):  # only a person pays; never leave it unanswered
        await event.answer(ok=False, error_message=text)


class EndTypedPrompts(BaseMiddleware):
    """A prompt waiting for typed text (a limit, a stake, a withdrawal's amount or
    destination, a promo code: the FSM states of `flow_storage`) lasts only until the player
    does something else. Any tap, a command, or anything but plain text ends it before a
    handler runs, so a bare number typed later is never read as a limit or a stake. One place
    for every such prompt, not a `state.clear()` each screen must remember (issue 23).

    Only a state that waits for text is ended: a withdrawal's confirm screen keeps its draft in
    the conversation's data with no state (its Confirm tap must still find it). aiogram has
    read the state already (`raw_state`): no second read from Redis."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        if state is not None and data.get("raw_state") is not None and not _typed(event):
            await state.clear()
            data["raw_state"] = None  # what the handlers' state filters read
        return await handler(event, data)


def _typed(event: TelegramObject) -> bool:
    """Plain text, the answer a typed prompt waits for (a command is not one)."""
    return isinstance(event, Message) and event.text is not None and not event.text.startswith("/")
