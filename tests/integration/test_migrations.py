"""The migration stairway: every revision upgrades, downgrades and upgrades again."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.postgres import migrate


@pytest.fixture
async def scratch_database(engine):
    name = f"croupier_stairway_{secrets.token_hex(4)}"
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(engine.url.render_as_string(hide_password=False)).set(database=name)
    yield url.render_as_string(hide_password=False)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


async def test_stairway(scratch_database):
    revisions = migrate.revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        migrate.upgrade(scratch_database, revision)
        migrate.downgrade(scratch_database, previous)
        migrate.upgrade(scratch_database, revision)
        assert await migrate.current_revision(scratch_database) == revision
        previous = revision
    assert await migrate.is_up_to_date(scratch_database)
