"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, get
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.redis_client import redis_is_healthy
from domain.errors import StorageUnavailable


class Readiness(msgspec.Struct):
    status: str
    database: bool
    redis: bool


class HealthController(Controller):
    path = "/health"
    tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/live", summary="The process is up")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="The database and Redis answer")
    @inject
    async def ready(
        self, engine: FromDishka[AsyncEngine], redis: FromDishka[Redis]
    ) -> Response[Any]:
        database = await database_answers(engine)
        redis_ok = await redis_is_healthy(redis)
        # Money needs only the database; Redis down degrades features, so it is reported
        # but the service stays ready.
        body = Readiness("ok" if database else "unavailable", database, redis_ok)
        return Response(body, status_code=200 if database else 503)


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, StorageUnavailable):
        return False
    return True
