"""The bot and its dispatcher for one process, when a token is configured."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher


@dataclass(frozen=True, slots=True)
class TelegramRuntime:
    bot: Bot | None  # None: no CROUPIER_BOT_TOKEN, the bot is off
    dispatcher: Dispatcher | None
    webhook_secret: str | None = None

    @property
    def enabled(self) -> bool:
        return self.bot is not None and self.dispatcher is not None


def bot_id_of(token: str) -> int:
    """The bot's user id is the token's prefix; no network call needed."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0
