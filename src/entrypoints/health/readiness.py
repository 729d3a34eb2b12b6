"""What readiness asks of the database and Redis, apart from the HTTP door (and Litestar with
it): the composition root binds the Redis probe in every container, the one-shot commands'
too, and `croupier run`'s heartbeat asks the database in processes that serve no HTTP."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import StorageUnavailable


class RedisProbe(Protocol):
    """Whether Redis answers (the composition root binds it to the process's client)."""

    async def __call__(self) -> bool: ...


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, StorageUnavailable):
        return False
    return True
