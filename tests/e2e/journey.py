"""A Telegram user talking to the bot through the fake Bot API server: sends messages, taps
buttons of the messages the bot showed, pays invoices, and keeps the conversation as a
transcript a person can read (the bot's tour, docs/transcripts/bot-tour-*.txt).

A step waits for the bot's answer: the first call that shows the player something (a message,
an edit, an alert, an invoice, the answer to a checkout), then until the bot has been quiet
for `QUIET` seconds, as a person waits for the chat to settle."""

from __future__ import annotations

import copy
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.fake_bot_api import ANSWERS, Call, FakeBotApi

QUIET = 0.3  # s without a new call: the bot is done with the update (a step that waits
# on more, such as the dice's result after a database write, says so with `until`)
FIRST_ANSWER = 20.0  # s for the first answer (a loaded CI box, the process's first update)
# Calls -> whether the bot's answer is complete (beyond the quiet time: a dice game's result
# follows the dice after a database write, which a loaded box may make slower than QUIET).
Until = Callable[[list[Call]], bool]


@dataclass(frozen=True)
class Line:
    """One line of the transcript: who (`player` or `bot`) and what they said or showed."""

    who: str
    text: str


@dataclass
class Step:
    """What the player did and every call the bot made in answer."""

    did: str
    calls: list[Call]

    @property
    def answered(self) -> bool:
        return any(c.method in ANSWERS for c in self.calls)

    def texts(self) -> list[str]:
        """The texts the player was shown: messages, edits, alerts, refused checkouts."""
        return [t for c in self.calls if (t := _shown_text(c))]


_message_ids = itertools.count(1)
NAMES = {"en": "Ann", "ru": "Аня"}


@dataclass
class Player:
    api: FakeBotApi
    language: str
    name: str = ""  # the first name Telegram gives; by default one of the language's
    user_id: int = field(default_factory=lambda: secrets.randbelow(2**40) + 10**12)
    steps: list[Step] = field(default_factory=list)
    transcript: list[Line] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = self.name or NAMES.get(self.language, "Ann")

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.name,
                "language_code": self.language}  # fmt: skip

    # -- what a player does ------------------------------------------------------------------

    async def says(self, text: str, *, within: float = FIRST_ANSWER) -> Step:
        """Send a text message; `within`: how long to wait for a first answer."""
        message = self._message(text=text)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._update({"message": message}, text, within=within)

    async def taps(
        self,
        *,
        data: str | None = None,
        text: str | None = None,
        until: Until | None = None,
        hub: bool = False,
    ) -> Step:
        """Tap the button of the bot's latest keyboard whose callback data starts with `data`
        (or whose text contains `text`), on the message that carries it; `hub`: only on a
        main menu."""
        message, button = self._button(data, text, hub)
        # The message as it shows now: later edits must not change the update once sent.
        query = {"id": secrets.token_hex(8), "from": self.user, "chat_instance": "c1",
                 "message": copy.deepcopy(message), "data": button["callback_data"]}  # fmt: skip
        return await self._update({"callback_query": query}, f"[{button['text']}]", until=until)

    async def opens(self, action: str) -> Step:
        """Open a screen of the main menu (`m:<action>`) as a person would: from the menu
        where it shows, else by the way back to it (a back button, or /start) first."""
        data = f"m:{action}"
        if not self._has_button(data, hub=True):
            if self._has_button("m:main"):
                await self.taps(data="m:main")
            elif not self._has_button(data):
                await self.says("/start")
        return await self.taps(data=data, hub=self._has_button(data, hub=True))

    async def checks_out(self, payload: str, amount: int) -> Step:
        """Telegram's question before it takes the Stars: the pre-checkout query."""
        query = {"id": secrets.token_hex(8), "from": self.user, "currency": "XTR",
                 "total_amount": amount, "invoice_payload": payload}  # fmt: skip
        return await self._update({"pre_checkout_query": query}, f"(pays {amount} ⭐)")

    async def has_paid(self, payload: str, amount: int) -> Step:
        """Telegram's `successful_payment` message: the Stars were taken."""
        paid = {"currency": "XTR", "total_amount": amount, "invoice_payload": payload,
                "telegram_payment_charge_id": f"stxE2E{secrets.token_hex(8)}",
                "provider_payment_charge_id": ""}  # fmt: skip
        message = self._message(successful_payment=paid)
        return await self._update({"message": message}, "(Telegram: payment received)")

    # -- what the player sees ----------------------------------------------------------------

    def last_invoice(self) -> Call:
        return self.api.of("sendInvoice")[-1]

    def keyboards(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Every message of this chat with inline buttons, newest first, as it shows now."""
        shown = []
        for call in reversed(self.api.of("sendMessage", "sendDice", "sendInvoice")):
            if int(call.params["chat_id"]) != self.user_id:
                continue
            message = call.result
            markup = message.get("reply_markup") or {}
            buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
            if buttons:
                shown.append((message, buttons))
        return shown

    # -- the machinery -----------------------------------------------------------------------

    def _has_button(self, data: str, *, hub: bool = False) -> bool:
        try:
            self._button(data, None, hub)
        except LookupError:
            return False
        return True

    def _button(
        self, data: str | None, text: str | None, hub: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        for message, buttons in self.keyboards():
            if hub and not _is_hub(buttons):
                continue
            for button in buttons:
                by_data = data is not None and button.get("callback_data", "").startswith(data)
                by_text = text is not None and text in button.get("text", "")
                if by_data or by_text:
                    return message, button
        seen = [[b.get("callback_data") for b in bs] for _, bs in self.keyboards()[:3]]
        raise LookupError(f"no button {data or text!r} on the latest keyboards: {seen}")

    def _in_this_chat(self, call: Call) -> bool:
        chat = call.params.get("chat_id")  # none: the answer to a query of this player's
        return chat is None or int(chat) == self.user_id

    def _message(self, **fields: Any) -> dict[str, Any]:
        chat = {"id": self.user_id, "type": "private", "first_name": self.name}
        return {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat,
                "from": self.user, **fields}  # fmt: skip

    async def _update(
        self,
        update: dict[str, Any],
        did: str,
        *,
        within: float = FIRST_ANSWER,
        until: Until | None = None,
    ) -> Step:
        before = len(self.api.calls)
        await self.api.push(update)
        await _settled(self.api, before, within, until)
        # Only this chat's: the service may be sending other players' notices meanwhile.
        mine = [c for c in self.api.calls[before:] if self._in_this_chat(c)]
        step = Step(did, mine)
        self.steps.append(step)
        self.transcript.append(Line("player", did))
        self.transcript += [line for call in step.calls for line in _render(call)]
        if not step.answered:
            self.transcript.append(Line("bot", "(no answer)"))
        return step


def _is_hub(buttons: list[dict[str, Any]]) -> bool:
    """A main menu: a keyboard of several screens of the menu (`m:` buttons)."""
    return (
        len({b.get("callback_data") for b in buttons if b.get("callback_data", "")[:2] == "m:"})
        >= 4
    )


async def _settled(api: FakeBotApi, before: int, within: float, until: Until | None) -> None:
    if not await api.until(lambda: any(c.method in ANSWERS for c in api.calls[before:]), within):
        return  # the step records that nothing came
    if until is not None:
        await api.until(lambda: until(api.calls[before:]), FIRST_ANSWER)
    while True:  # until a quiet moment: no call for QUIET seconds
        seen = len(api.calls)
        if not await api.until(lambda seen=seen: len(api.calls) > seen, QUIET):
            return


def _shown_text(call: Call) -> str | None:
    params = call.params
    if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery"):
        return params.get("text")
    if call.method == "answerPreCheckoutQuery":
        return params.get("error_message")
    if call.method == "sendInvoice":
        return f"{params['title']}\n{params['description']}"
    return None


def _rows(params: dict[str, Any]) -> list[Line]:
    markup = params.get("reply_markup") or {}
    return [
        Line("bot", "  " + " ".join(f"[{b['text']}]" for b in row))
        for row in markup.get("inline_keyboard", [])
    ]


_WITH_KEYBOARDS = ("sendMessage", "editMessageText", "sendInvoice", "editMessageReplyMarkup")


def _render(call: Call) -> list[Line]:
    """How a call looks in the chat; calls a player never sees (setMyCommands, …) are left
    out."""
    params, method = call.params, call.method
    lines: list[str] = []
    if method == "sendMessage":
        lines = params["text"].splitlines()
    elif method == "editMessageText":
        lines = ["(the message above changes to)", *params["text"].splitlines()]
    elif method == "editMessageReplyMarkup":
        lines = ["(the buttons above change)"]
    elif method == "answerCallbackQuery" and params.get("text"):
        kind = "alert" if params.get("show_alert") in ("true", True) else "notice"
        lines = [f"({kind})", *params["text"].splitlines()]
    elif method == "sendDice":
        lines = [f"{params.get('emoji', '🎲')} (Telegram's dice shows {_dice_value(call)})"]
    elif method == "sendInvoice":
        total = sum(int(p["amount"]) for p in params["prices"])
        lines = ["(invoice)", params["title"], *params["description"].splitlines(),
                 f"[Pay ⭐ {total}]"]  # fmt: skip
    elif method == "answerPreCheckoutQuery":
        ok = params.get("ok") in ("true", True)
        lines = ["(checkout accepted)"] if ok else ["(checkout refused)", params["error_message"]]
    elif method == "deleteMessage":
        lines = ["(a message is deleted)"]
    keyboard = _rows(params) if method in _WITH_KEYBOARDS else []
    return [Line("bot", line) for line in lines] + keyboard


def _dice_value(call: Call) -> str:
    message = call.result or {}
    return str((message.get("dice") or {}).get("value", "?"))


def written(transcript: list[Line], title: str) -> str:
    """The transcript as a file: the player's lines marked `>`, the bot's indented."""
    out = [title, "=" * len(title), ""]
    for line in transcript:
        if line.who == "player":
            out += ["", f"> {line.text}"]
        else:
            out.append(f"  {line.text}" if line.text else "")
    return "\n".join(out).rstrip() + "\n"
