"""What readiness asks of the database, apart from the HTTP door (and Litestar with it):
`croupier run`'s heartbeat asks it too, in processes that serve no HTTP. Redis is asked
through its port (`application.ports.RedisProbe`), which the composition root binds in every
container."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import StorageUnavailable


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, StorageUnavailable):
        return False
    return True
