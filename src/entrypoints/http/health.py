"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, get
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import StorageUnavailable
from entrypoints.bot.runtime import TelegramRuntime


class RedisProbe(Protocol):
    """Whether Redis answers (the composition root binds it to the process's client)."""

    async def __call__(self) -> bool: ...


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


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, StorageUnavailable):
        return False
    return True
