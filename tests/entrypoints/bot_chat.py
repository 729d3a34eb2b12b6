"""A player's conversation with the bot, recorded as a person reads it: each tap or message the
player sends, then what the bot sent or edited (with its buttons) and any alert or toast. The
recording is written as a transcript under .croupier/test/transcripts/ for a person to read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendInvoice, SendMessage
from redis.asyncio import Redis

from tests.entrypoints.telegram_fakes import FakeTelegram, Player

TRANSCRIPTS = Path(".croupier/test/transcripts")


def buttons(call: SendMessage | EditMessageText) -> dict[str, str]:
    """An inline keyboard's buttons: label -> callback data."""
    markup = call.reply_markup
    rows = getattr(markup, "inline_keyboard", None) or []
    return {b.text: b.callback_data for row in rows for b in row if b.callback_data}


class Chat:
    def __init__(self, send: Any, telegram: FakeTelegram, player: Player, redis: Redis) -> None:
        self._send = send
        self._telegram = telegram
        self._redis = redis
        self.player = player
        self.lines: list[str] = []

    async def tap(self, label: str, data: str) -> list[Any]:
        assert len(data.encode()) <= 64, data  # Telegram's bound on callback data
        self.lines.append(f"> tap [{label}]")
        return await self._feed(self.player.tap(data))

    async def say(self, text: str) -> list[Any]:
        self.lines.append(f"> send {text!r}")
        return await self._feed(self.player.message(text))

    async def _feed(self, update: Any) -> list[Any]:
        # Many taps in a row: the throttle is tested elsewhere, and here it would hide screens.
        await self._redis.delete(f"croupier:bot:throttle:{self.player.user.id}")
        before = len(self._telegram.calls)
        await self._send(update)
        calls = self._telegram.calls[before:]
        for call in calls:
            if isinstance(call, SendMessage | EditMessageText):
                verb = "edits" if isinstance(call, EditMessageText) else "sends"
                self.lines.append(f"< bot {verb}: {call.text}")
                rows = getattr(call.reply_markup, "inline_keyboard", None) or []
                self.lines += ["    " + " ".join(f"[{b.text}]" for b in row) for row in rows]
                placeholder = getattr(call.reply_markup, "input_field_placeholder", None)
                if placeholder:
                    self.lines.append(f"    (reply field: {placeholder})")
            elif isinstance(call, SendInvoice):
                self.lines.append(f"< bot sends an invoice: {call.title} — {call.description}")
            elif isinstance(call, AnswerCallbackQuery) and call.text:
                kind = "alert" if call.show_alert else "toast"
                self.lines.append(f"< {kind}: {call.text}")
        return calls

    def shown(self) -> SendMessage | EditMessageText:
        """The last screen the bot sent or edited."""
        return self._telegram.of(SendMessage | EditMessageText)[-1]

    def write(self, name: str) -> None:
        TRANSCRIPTS.mkdir(parents=True, exist_ok=True)
        (TRANSCRIPTS / name).write_text("\n".join(self.lines) + "\n")


@pytest.fixture
async def chat(send, telegram, servers):
    """Make a `Chat` for a player (import this fixture into a test module to use it)."""
    redis = Redis.from_url(servers.redis_url)

    def make(player: Player) -> Chat:
        return Chat(send, telegram, player, redis)

    yield make
    await redis.aclose()
