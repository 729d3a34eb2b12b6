"""A database of its own for a test that drives the `croupier` commands end to end, whose
fixed names (the seed's demo admin and players) must not meet another test's rows."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import create_engine


@pytest.fixture
async def scratch_url(engine: AsyncEngine, servers) -> AsyncIterator[str]:
    """The URL of a new, empty database on the test server (the commands migrate it)."""
    name = f"croupier_scratch_{secrets.token_hex(4)}"
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(servers.database_url).set(database=name)
    yield url.render_as_string(hide_password=False)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def scratch_engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(scratch_url)
    yield engine
    await engine.dispose()
