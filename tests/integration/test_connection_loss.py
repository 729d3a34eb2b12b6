"""A pooled connection whose server backend went away (a restart, a failover, an operator's
`pg_terminate_backend`) is not handed to a unit of work again."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres import engine as engine_module
from adapters.postgres.engine import create_engine

_PID = text("SELECT pg_backend_pid()")


async def _kill(engine, pid: int) -> None:
    async with engine.connect() as conn:
        killed = await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert killed is True


@pytest.fixture
async def one_connection(servers):
    pool = create_engine(servers.database_url, pool_size=1, max_overflow=0)
    yield pool
    await pool.dispose()


async def test_a_connection_killed_while_idle_is_replaced_before_use(
    one_connection, engine, monkeypatch
):
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    async with one_connection.connect() as conn:
        first = await conn.scalar(_PID)
    await _kill(engine, first)

    async with one_connection.connect() as conn:
        second = await conn.scalar(_PID)
        assert await conn.scalar(text("SELECT 41 + 1")) == 42
    assert second != first


async def test_a_connection_killed_between_uses_fails_once_then_the_pool_is_fresh(
    one_connection, engine, monkeypatch
):
    # Not idle long enough to be pinged: the statement meets the dead connection, fails
    # (nothing was written), and the pool replaces everything older than the failure.
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)
    async with one_connection.connect() as conn:
        first = await conn.scalar(_PID)
    await _kill(engine, first)

    with pytest.raises(DBAPIError) as failed:
        async with one_connection.connect() as conn:
            await conn.scalar(_PID)
    assert failed.value.connection_invalidated

    async with one_connection.connect() as conn:
        assert await conn.scalar(_PID) != first
