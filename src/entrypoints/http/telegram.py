"""Telegram's webhook: updates arrive here in production (webhook mode)."""

from __future__ import annotations

import hmac
from typing import Any

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, post
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
)

from entrypoints.bot.runtime import TelegramRuntime

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret  # nosec B105


class TelegramWebhookController(Controller):
    path = "/telegram"
    tags = ["telegram"]  # noqa: RUF012 - Litestar reads it as a class attribute
    include_in_schema = False

    @post("/webhook", status_code=200)
    @inject
    async def webhook(
        self, request: Request[Any, Any, Any], runtime: FromDishka[TelegramRuntime]
    ) -> dict[str, bool]:
        if not runtime.enabled or runtime.webhook_secret is None:
            raise NotFoundException("the bot is not in webhook mode")
        presented = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(presented.encode(), runtime.webhook_secret.encode()):
            raise PermissionDeniedException("wrong webhook secret")
        assert runtime.bot is not None
        assert runtime.dispatcher is not None
        # Here, not at the top: an HTTP process without a bot never imports aiogram (~130 MB).
        from aiogram.types import Update

        try:
            update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
        except (ValueError, RecursionError, SerializationException):
            # Not JSON, or not an Update (pydantic's ValidationError is a ValueError): only
            # Telegram knows the secret, so this is a broken sender, told so in a few words.
            raise ClientException("the body is not a Telegram update") from None
        await runtime.dispatcher.feed_update(runtime.bot, update)
        return {"ok": True}
