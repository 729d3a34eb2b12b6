"""A Bot API that never touches the network: records every call, answers like Telegram."""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    CreateInvoiceLink,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDice,
    SendInvoice,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Dice,
    InlineKeyboardMarkup,
    Message,
    PreCheckoutQuery,
    SuccessfulPayment,
    Update,
    User,
)

BOT_TOKEN = "424242:TEST-TOKEN-NOT-REAL"
WEBHOOK_SECRET = "s3cret-token"


def webhook_settings(data_dir: Any) -> Any:
    """The settings of an HTTP process that takes the test bot's updates by webhook (at
    casino.example, with `WEBHOOK_SECRET`), dice shown at once, its data under `data_dir`."""
    from entrypoints.settings import Settings
    from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

    return Settings(
        bot_token=BOT_TOKEN,
        bot_webhook_url="https://casino.example/telegram",
        bot_webhook_secret=WEBHOOK_SECRET,
        bot_dice_delay_ms=0,
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        secret_key=secrets.token_hex(32),
        house_shards=4,
        data_dir=data_dir,
    )


# What the bot shows in each chat: message id -> its inline keyboard (None: none), in the order
# shown, edits included. A player's tap comes from one of these messages (`Player.tap`).
SHOWN: dict[int, dict[int, InlineKeyboardMarkup | None]] = {}

BOT_USER = User(id=424242, is_bot=True, first_name="Croupier", username="croupier_test_bot")


class FakeTelegram(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.dice_values: deque[int] = deque()
        self._ids = itertools.count(10_000)
        self._given: dict[int, int] = {}  # id() of a call -> the message id it was answered with

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - the signature aiogram calls
    ) -> Any:
        self.calls.append(method)
        answer = self._answer(method)
        if isinstance(answer, Message):
            self._given[id(method)] = answer.message_id
        if isinstance(answer, Message) and not isinstance(method, SendDice):
            markup = getattr(method, "reply_markup", None)
            shown = SHOWN.setdefault(answer.chat.id, {})
            shown.pop(answer.message_id, None)  # an edit: now the latest shown
            shown[answer.message_id] = markup if isinstance(markup, InlineKeyboardMarkup) else None
        if isinstance(method, EditMessageReplyMarkup) and method.chat_id is not None:
            SHOWN.setdefault(int(method.chat_id), {})[method.message_id or 0] = method.reply_markup
        return answer

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):  # a command addressed /cmd@bot is checked against it
            return BOT_USER
        if isinstance(method, CreateInvoiceLink):  # Telegram's link to the payment form
            return f"https://t.me/$fake-invoice-{next(self._ids)}"
        if isinstance(method, SendDice):
            return self._message(
                method.chat_id,
                dice=Dice(emoji=method.emoji or "🎲", value=self.dice_values.popleft()),
            )
        if isinstance(method, SendMessage | SendInvoice):
            return self._message(method.chat_id, text=getattr(method, "text", None))
        if isinstance(method, EditMessageText) and method.chat_id is not None:
            # Telegram answers an edit with the edited message.
            return self._message(method.chat_id, text=method.text, message_id=method.message_id)
        return True

    def _message(self, chat_id: Any, message_id: int | None = None, **fields: Any) -> Message:
        return Message(
            message_id=next(self._ids) if message_id is None else message_id,
            date=datetime.now(UTC),
            chat=Chat(id=int(chat_id), type="private"),
            from_user=BOT_USER,
            **fields,
        )

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise AssertionError("the tests download nothing")

    async def close(self) -> None:
        return None

    def texts(self) -> list[str]:
        """What the player was shown, in order: sent messages and screens edited in place."""
        return [c.text for c in self.calls if isinstance(c, SendMessage | EditMessageText)]

    def screen(self) -> SendMessage | EditMessageText:
        """The last text the player was shown: a message sent, or a screen edited in place."""
        return [c for c in self.calls if isinstance(c, SendMessage | EditMessageText)][-1]

    def message_id(self, call: TelegramMethod[Any]) -> int:
        """The id of the message a recorded call sent (or edited)."""
        return self._given[id(call)]

    def of(self, kind: type) -> list[Any]:
        return [c for c in self.calls if isinstance(c, kind)]


class Player:
    """A Telegram user sending updates, each with a fresh update id."""

    _update_ids = itertools.count(secrets.randbelow(2**40))

    def __init__(self, language: str = "en") -> None:
        self.user = User(
            id=secrets.randbelow(2**40) + 1, is_bot=False, first_name="Ann", language_code=language
        )
        self.chat = Chat(id=self.user.id, type="private")

    def message(self, text: str | None = None, **fields: Any) -> Update:
        return Update(
            update_id=next(self._update_ids),
            message=Message(
                message_id=secrets.randbelow(2**30),
                date=datetime.now(UTC),
                chat=self.chat,
                from_user=self.user,
                text=text,
                **fields,
            ),
        )

    def tap(self, data: str, message_id: int | None = None) -> Update:
        """A tap on a button: by default on the newest message of this chat showing it, or,
        when the bot never showed it (data made up by the test), on the current keyboard (the
        newest shown that is not only buttons that work anywhere)."""
        from entrypoints.bot.freshness import navigates

        shown = SHOWN.get(self.chat.id, {})
        if message_id is None:
            newest_first = list(reversed(shown.items()))
            showing = [i for i, m in newest_first if m is not None and _carries(m, data)]
            current = [i for i, m in newest_first if m is not None and navigates(m)]
            message_id = (showing or current or [1])[0]
        tapped = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            text="menu",
            reply_markup=shown.get(message_id),
        )
        return Update(
            update_id=next(self._update_ids),
            callback_query=CallbackQuery(
                id=secrets.token_hex(8),
                from_user=self.user,
                chat_instance="ci",
                message=tapped,
                data=data,
            ),
        )

    def pre_checkout(self, payload: str, amount: int, currency: str = "XTR") -> Update:
        return Update(
            update_id=next(self._update_ids),
            pre_checkout_query=PreCheckoutQuery(
                id=secrets.token_hex(8),
                from_user=self.user,
                currency=currency,
                total_amount=amount,
                invoice_payload=payload,
            ),
        )

    def paid(self, charge_id: str, payload: str, amount: int, currency: str = "XTR") -> Update:
        """Telegram's `successful_payment` service message for a charge."""
        return self.message(
            successful_payment=SuccessfulPayment(
                currency=currency,
                total_amount=amount,
                invoice_payload=payload,
                telegram_payment_charge_id=charge_id,
                provider_payment_charge_id="",
            )
        )


def _carries(markup: InlineKeyboardMarkup, data: str) -> bool:
    return any(b.callback_data == data for row in markup.inline_keyboard for b in row)
