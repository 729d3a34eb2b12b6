"""The Telegram bot and the Mini App."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from pydantic.dataclasses import dataclass

from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.values import url


@dataclass(frozen=True, config=CONFIG)
class Telegram:
    """Telegram bot and Mini App"""

    bot_token: str | None = setting(
        doc="Telegram bot token; the bot starts only when it is set.", shown="(none)", secret=True
    )
    bot_api_url: Annotated[str | None, url("http")] = setting(
        doc="Base URL of the Bot API server the bot calls, e.g. a local `telegram-bot-api` "
        "server (`http://127.0.0.1:8081`: larger limits, no public round trip) or a test's "
        "fake; unset: Telegram's own `https://api.telegram.org`.",
        shown="(none: api.telegram.org)",
    )
    bot_webhook_url: Annotated[str | None, url("https")] = setting(
        doc="Public HTTPS URL of `/telegram/webhook` on this service; set it for production "
        "(webhook mode), leave it unset for long polling in development.",
        shown="(none: polling)",
    )
    bot_webhook_secret: str | None = setting(
        doc="Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; required with the URL "
        "(1-256 of A-Z, a-z, 0-9, _ and -).",
        shown="(none)",
        secret=True,
        pattern=r"^[A-Za-z0-9_-]{1,256}$",
    )
    bot_dice_delay_ms: int = setting(
        3500,
        doc="How long the bot waits for Telegram's dice animation before showing the result.",
        ge=0,
        le=10_000,
    )
    miniapp_max_age_s: int = setting(
        3600,
        doc="How old (seconds) a Mini App's Telegram `initData` may be when it opens a session.",
        ge=60,
        le=86_400,
    )
    miniapp_telegram_script: str = setting(
        "https://telegram.org/js/telegram-web-app.js",
        doc="Telegram's Mini App script, which the page loads (async) before its own: an "
        "`https://` URL (its origin joins the page's CSP `script-src`), a path of this host "
        "for a self-hosted copy (`/...`), or empty for none (the page then reads the launch "
        "data from its URL and opens payment links itself).",
        pattern=r"^(|https://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[^\s\"'<>;,]*|/[^/\s\"'<>;,][^\s\"'<>;,]*)$",
    )

    def telegram_problems(self) -> Iterator[str]:
        if self.bot_webhook_url is not None and self.bot_webhook_secret is None:
            yield f"{PREFIX}BOT_WEBHOOK_SECRET is required with {PREFIX}BOT_WEBHOOK_URL"
