"""A unit of work's repositories: built on first use inside its block, once, on its own
connection (issue 19: building all of them on entry was a cost of every bet's unit of work)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import greenlet
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import SqlUnitOfWorkFactory, start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from domain.errors import StorageUnavailable
from tests import conftest
from tests.conftest import TEST_HOUSE_SHARDS


async def test_a_repository_is_built_once_a_unit_of_work_and_shared_by_its_users(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        placements = uow.placements
        assert uow.placements is placements
        # The placement reads use the unit of work's own bet and seed repositories.
        assert placements._bets is uow.bets
        assert placements._seeds is uow.seeds
        assert placements._games is uow.games
        assert await uow.bets.find(uuid.uuid4()) is None  # it reads on the block's connection
    async with uow_factory() as other:
        assert other.placements is not placements
        assert other.bets is not placements._bets


async def test_a_repository_is_not_handed_out_before_the_block(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="inside its block"):
        uow.bets  # noqa: B018 - the read is the test


# The unit of work's ends without SQLAlchemy's greenlet bridge (issue 19): when nothing went
# through SQLAlchemy, its commit, rollback and close are plain Python; when something did, or
# the pool must close the connection, or the connection was lost, they take the bridge.


@pytest.fixture
async def small_pool(
    servers: conftest.TestServers, cipher: SeedCipher, personal: PersonalDataCipher
) -> AsyncIterator[tuple[AsyncEngine, SqlUnitOfWorkFactory]]:
    # One connection kept in the pool's queue, two more beyond it (overflow).
    engine = create_engine(servers.database_url, pool_size=1, max_overflow=2)
    try:
        yield engine, await start_unit_of_work_factory(engine, TEST_HOUSE_SHARDS, cipher, personal)
    finally:
        await engine.dispose()


@contextlib.contextmanager
def greenlets_entered() -> Iterator[list[greenlet.greenlet]]:
    """The greenlets switched into while the block runs (each hop of SQLAlchemy's bridge is a
    new one), held so that no two share an id."""
    here = greenlet.getcurrent()
    entered: list[greenlet.greenlet] = []

    def trace(event: str, args: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
        if event == "switch" and args[1] is not here and args[1] not in entered:
            entered.append(args[1])

    previous = greenlet.settrace(trace)
    try:
        yield entered
    finally:
        greenlet.settrace(previous)


async def test_a_unit_of_work_that_sends_nothing_takes_one_hop_and_gives_its_connection_back(
    small_pool: tuple[AsyncEngine, SqlUnitOfWorkFactory],
) -> None:
    engine, factory = small_pool
    async with factory() as warm:  # the pool's connection opened (its set-up statements)
        await warm.commit()
    for commit in (True, False):
        with greenlets_entered() as entered:
            async with factory() as uow:
                driver = uow._fairy.driver_connection
                if commit:
                    await uow.commit()
        assert len(entered) == 1  # the checkout's
        assert engine.sync_engine.pool.checkedin() == 1  # type: ignore[attr-defined]
        assert not driver.is_closed()
        assert not driver.is_in_transaction()


async def test_units_of_work_beyond_the_pools_queue_close_their_connections_through_the_bridge(
    small_pool: tuple[AsyncEngine, SqlUnitOfWorkFactory],
) -> None:
    # The first connection back fills the pool's queue; the other two are closed, which awaits
    # the driver: done outside SQLAlchemy's bridge it would fail (MissingGreenlet).
    engine, factory = small_pool
    async with contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(factory()) for _ in range(3)]
        drivers = [uow._fairy.driver_connection for uow in held]
        for uow in held:
            await uow.commit()
    assert sorted(driver.is_closed() for driver in drivers) == [False, True, True]
    pool = engine.sync_engine.pool
    assert (pool.checkedin(), pool.checkedout()) == (1, 0)  # type: ignore[attr-defined]
    async with factory() as uow:  # and the pool serves again
        await uow.commit()


async def test_a_unit_of_work_that_wrote_through_sqlalchemy_commits_or_rolls_back_its_write(
    small_pool: tuple[AsyncEngine, SqlUnitOfWorkFactory],
) -> None:
    engine, factory = small_pool
    table = f"uow_probe_{uuid.uuid4().hex}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (n integer)"))
    try:
        for n, commit in ((1, True), (2, False)):
            with greenlets_entered() as entered:
                async with factory() as uow:
                    await uow._conn.execute(text(f"INSERT INTO {table} VALUES ({n})"))  # type: ignore[union-attr]
                    if commit:
                        await uow.commit()
            assert len(entered) >= 3  # the checkout, the statement, the end through the bridge
        async with engine.connect() as conn:
            assert (await conn.execute(text(f"SELECT n FROM {table}"))).scalars().all() == [1]
            assert not await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE state = 'idle in transaction'"
                    " AND datname = current_database()"
                )
            )
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {table}"))


async def test_a_unit_of_work_whose_connection_was_lost_ends_and_the_pool_serves_a_new_one(
    small_pool: tuple[AsyncEngine, SqlUnitOfWorkFactory], engine: AsyncEngine
) -> None:
    _, factory = small_pool
    async with factory() as uow:
        driver = uow._fairy.driver_connection
        async with engine.connect() as other:
            await other.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": driver.get_server_pid()}
            )
        with pytest.raises(StorageUnavailable):
            await uow.placements.snapshot([uuid.uuid4()], [1], ["XTR"], ["coin"])
        assert uow._conn is not None
        assert uow._conn.invalidated  # so its end takes SQLAlchemy's bridge
    async with factory() as uow:
        assert uow._fairy.driver_connection is not driver
        await uow.commit()
