"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, get
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports import RedisProbe
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.health.readiness import database_answers


class Readiness(msgspec.Struct, omit_defaults=True):
    status: str
    database: bool
    redis: bool
    # Webhook mode: whether Telegram has our webhook yet (registered in the background, with
    # retries); None when this process receives no webhook (no bot, or polling).
    bot: bool | None = None


class HealthController(Controller):
    path = "/health"
    tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/live", summary="The process is up")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="The database and Redis answer")
    @inject
    async def ready(
        self,
        engine: FromDishka[AsyncEngine],
        redis_answers: FromDishka[RedisProbe],
        runtime: FromDishka[TelegramRuntime],
    ) -> Response[Any]:
        database = await database_answers(engine)
        redis_ok = await redis_answers()
        # Money needs only the database; Redis down degrades features, so it is reported
        # but the service stays ready.
        # The bot not registered yet degrades the bot only: reported, the service stays ready.
        webhook = runtime.enabled and runtime.webhook_secret is not None
        bot = runtime.webhook.registered if webhook else None
        body = Readiness("ok" if database else "unavailable", database, redis_ok, bot)
        return Response(body, status_code=200 if database else 503)
