"""A transaction PostgreSQL picks as a deadlock's victim is rolled back whole; the engine says
so as `LockContended`, which the bet's locked road starts over on like a lost race (a raw
driver error would reach the player as an internal error). Two transactions take two
advisory locks in opposite orders: one of them is the victim."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from application.ports import LockContended

pytestmark = pytest.mark.integration


async def test_a_deadlock_victim_is_told_as_lock_contended(engine) -> None:
    both_hold_one = asyncio.Barrier(2)

    async def take(first: int, second: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": first})
            await both_hold_one.wait()
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": second})

    keys = (918_273_001, 918_273_002)
    results = await asyncio.gather(take(*keys), take(*reversed(keys)), return_exceptions=True)
    victims = [r for r in results if isinstance(r, BaseException)]
    assert len(victims) == 1, results
    assert isinstance(victims[0], LockContended)
