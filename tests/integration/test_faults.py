"""Faults on real servers: PostgreSQL backends killed in the middle of bets. Clients retry with
the same bet ids; every bet ends applied exactly once and the books reconcile (the `books`
fixture checks every invariant afterwards)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid

import pytest
from sqlalchemy import text

from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from application.bet_queue import BetQueue
from application.betting import BetReceipt, PlaceBet, PlaceBetCommand
from domain.errors import StorageUnavailable
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS

pytestmark = pytest.mark.usefixtures("books")

VICTIMS = "croupier-fault-test"  # the application_name of the connections that get killed


async def _killer(engine, stop: asyncio.Event) -> int:
    """Terminate one of the victims' busy backends (in a transaction, mid-bet) every few tens
    of milliseconds until stopped."""
    killed = 0
    while not stop.is_set():
        async with engine.connect() as conn:
            killed += (
                await conn.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM ("
                        " SELECT pid FROM pg_stat_activity"
                        " WHERE application_name = :name AND state LIKE 'idle in transaction%'"
                        "    OR application_name = :name AND state = 'active'"
                        " ORDER BY random() LIMIT 1) AS victim"
                    ),
                    {"name": VICTIMS},
                )
            ).scalar_one()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), random.uniform(0.02, 0.06))
    return killed


async def _until_answered(place, command: PlaceBetCommand) -> tuple[BetReceipt, int]:
    """What a client does: repeat the same bet (same id) until it gets an answer."""
    for attempt in range(500):
        try:
            return await place(command), attempt
        except StorageUnavailable:
            await asyncio.sleep(0.01)
    raise AssertionError(f"bet {command.bet_id} never got an answer")


async def test_backends_killed_mid_bets_leave_every_bet_applied_exactly_once(
    servers, engine, funded_player, cipher, clock, ids, house, seed_source, balances
):
    victims = create_engine(
        servers.database_url, pool_size=8, max_overflow=8, application_name=VICTIMS
    )
    try:
        factory = await start_unit_of_work_factory(victims, TEST_HOUSE_SHARDS, cipher)
        place = PlaceBet(factory, clock, ids, house, seed_source)
        queue = BetQueue(place, batch_size=16)
        players = [await funded_player(10_000) for _ in range(6)]
        for p in players:  # seed pairs first, so batches decide the bets themselves
            await place(
                PlaceBetCommand(p.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
            )
        before = {p.id: (await balances(p.id))[0].amount for p in players}
        commands = [
            PlaceBetCommand(p.id, uuid.uuid4(), game, Money(10, XTR), params)
            for p in players
            for game, params in (("coin", {"side": "tails"}), ("limbo", {"target": "3"})) * 12
        ]
        stop = asyncio.Event()
        killer = asyncio.create_task(_killer(engine, stop))
        answers = await asyncio.gather(
            *(_until_answered(queue if i % 2 else place, c) for i, c in enumerate(commands))
        )
        stop.set()
        killed = await killer
    finally:
        await victims.dispose()

    assert killed > 0  # the fault really happened
    assert sum(attempts for _, attempts in answers) > 0  # and some client had to retry
    receipts = [receipt for receipt, _ in answers]
    assert [r.bet.id for r in receipts] == [c.bet_id for c in commands]
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": [str(c.bet_id) for c in commands]},
            )
        ).scalar_one()
    assert stored == len(commands)
    for p in players:
        mine = [r.bet for r in receipts if r.bet.player_id == p.id]
        expected = before[p.id] + sum((b.payout or 0) - b.stake.amount for b in mine)
        assert await balances(p.id) == (Money(expected, XTR),)
        nonces = sorted(b.fairness.nonce for b in mine)
        assert nonces == list(range(1, len(mine) + 1))  # none lost, none shared
