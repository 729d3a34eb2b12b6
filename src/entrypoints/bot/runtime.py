"""The bot and its dispatcher for one process, when a token is configured.

aiogram is imported for the type checker only: a process without a bot token (the gRPC and
HTTP parts of `croupier run` in most deployments) never imports it. Its import is ~130 MB of
resident memory (its pydantic models) and seconds of CPU; bench/README.md, "Memory"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher


@dataclass(slots=True)
class WebhookState:
    """Whether Telegram has our webhook (webhook mode): registered in the background, with
    retries, so that Telegram being unreachable at start-up does not hold up HTTP and gRPC;
    readiness reports it."""

    registered: bool = False


@dataclass(frozen=True, slots=True)
class TelegramRuntime:
    bot: Bot | None  # None: no CROUPIER_BOT_TOKEN, the bot is off
    dispatcher: Dispatcher | None
    webhook_secret: str | None = None
    webhook: WebhookState = field(default_factory=WebhookState)

    @property
    def enabled(self) -> bool:
        return self.bot is not None and self.dispatcher is not None


def bot_id_of(token: str) -> int:
    """The bot's user id is the token's prefix; no network call needed."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0
