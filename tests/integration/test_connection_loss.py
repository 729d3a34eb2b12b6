"""A pooled connection whose server backend went away (a restart, a failover, an operator's
`pg_terminate_backend`) is not handed to a unit of work again."""

from __future__ import annotations

import socket
import uuid

import pytest
from sqlalchemy import text

from adapters.postgres import engine as engine_module
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from application.betting import PlaceBet, PlaceBetCommand
from domain.errors import StorageUnavailable
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS, TEST_PERSONAL_DATA

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
    # Not idle long enough to be pinged: the statement meets the dead connection and fails as
    # StorageUnavailable (nothing was written: retry with the same key), and the pool
    # replaces everything older than the failure.
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)
    async with one_connection.connect() as conn:
        first = await conn.scalar(_PID)
    await _kill(engine, first)

    with pytest.raises(StorageUnavailable, match="same idempotency key"):
        async with one_connection.connect() as conn:
            await conn.scalar(_PID)

    async with one_connection.connect() as conn:
        assert await conn.scalar(_PID) != first


async def test_a_bet_whose_connection_was_cut_is_retried_and_applied_once(
    one_connection,
    engine,
    monkeypatch,
    funded_player,
    cipher,
    clock,
    ids,
    house,
    seed_source,
    balances,
):

    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)
    factory = await start_unit_of_work_factory(
        one_connection, TEST_HOUSE_SHARDS, cipher, TEST_PERSONAL_DATA
    )
    place = PlaceBet(factory, clock, ids, house, seed_source)
    player = await funded_player(100)
    async with one_connection.connect() as conn:
        pid = await conn.scalar(_PID)
    await _kill(engine, pid)

    command = PlaceBetCommand(player.id, uuid.uuid4(), "limbo", Money(10, XTR), {"target": "2"})
    with pytest.raises(StorageUnavailable):
        await place(command)
    assert await balances(player.id) == (Money(100, XTR),)  # nothing was written
    first = await place(command)
    again = await place(command)
    assert not first.replayed
    assert again.replayed
    assert await balances(player.id) == (Money(90 + (first.bet.payout or 0), XTR),)


async def test_a_full_disk_fails_a_bet_cleanly_and_the_retry_applies_it_once(
    engine, uow_factory, funded_player, clock, ids, house, seed_source, balances
):
    # What PostgreSQL answers when it cannot extend a file (SQLSTATE 53100), raised where the
    # bet's row is written; for this one player only, so nothing else in the suite meets it.
    player = await funded_player(100)
    trigger = f"disk_full_{player.id}"
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION 'could not extend file: No space left on device'"
                " USING ERRCODE = '53100'; END $$"
            )
        )
        await conn.execute(
            text(
                f"CREATE TRIGGER {trigger} BEFORE INSERT ON bets FOR EACH ROW"
                f" WHEN (NEW.player_id = {player.id}) EXECUTE FUNCTION disk_full()"
            )
        )
    place = PlaceBet(uow_factory, clock, ids, house, seed_source)
    command = PlaceBetCommand(player.id, uuid.uuid4(), "limbo", Money(10, XTR), {"target": "2"})
    try:
        with pytest.raises(StorageUnavailable, match="nothing was changed"):
            await place(command)
        assert await balances(player.id) == (Money(100, XTR),)
    finally:
        async with engine.begin() as conn:  # the operator frees space
            await conn.execute(text(f"DROP TRIGGER {trigger} ON bets"))
            await conn.execute(text("DROP FUNCTION disk_full()"))
    first = await place(command)
    assert not first.replayed
    assert (await place(command)).replayed
    assert await balances(player.id) == (Money(90 + (first.bet.payout or 0), XTR),)


async def test_a_database_that_refuses_connections_is_unavailable_not_an_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = create_engine(f"postgresql://nobody@127.0.0.1:{port}/gone")
    try:
        with pytest.raises(StorageUnavailable, match="cannot be reached"):
            async with nowhere.connect():
                pass
    finally:
        await nowhere.dispose()
