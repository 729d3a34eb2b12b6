"""Test infrastructure: real PostgreSQL and Valkey, embedded unless URLs are configured.

With CROUPIER_DATABASE_URL / CROUPIER_REDIS_URL set, the suite uses those servers and RESETS
the schema of that database (point it at a throwaway one). Without them, servers are started
from pip packages under .croupier/test and stopped at the end (CROUPIER_TEST_KEEP_SERVERS=1
keeps them running for a faster next run).

A parallel run (pytest-xdist, which `./dev test` uses for the whole suite) gives every worker
servers of its own, under .croupier/test/<worker>/ (gw0, gw1, ...): a PostgreSQL and a Valkey
that no other worker reaches. Nothing a test does to its servers (a database of a fixed name,
200 connections racing, backends terminated, Redis's database 7 flushed, the whole ledger
counted or reconciled) can then meet another worker's tests; docs/testing.md says more."""

from __future__ import annotations

import os

# Before anything imports grpc: the embedded servers are started and stopped by forking
# pg_ctl from this process, and gRPC's fork handlers (on by default) once crashed such a child
# with SIGSEGV before its exec while the test process's gRPC threads were busy. We never use
# gRPC in a forked child, so the handlers only add that risk.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import asyncio
import contextlib
import itertools
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.embedded_servers import (
    ensure_database,
    ensure_postgres,
    ensure_valkey,
    stop_postgres,
    stop_valkey,
)
from adapters.ids import UuidV7Generator
from adapters.personal_data import PersonalDataCipher
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.reconcile import reconcile
from adapters.postgres.uow import SqlUnitOfWorkFactory, start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from application.balances import GetBalances
from application.history import ListHistory
from application.house import HouseBook
from application.postings import AdjustBalance, CreditDeposit, DebitWallet, Transfer
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR
from entrypoints.settings.keys import parse_index_key, parse_key_ring

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / ".croupier" / "test"
# "gw0", "gw1", ... in a pytest-xdist worker; "" in a run without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
# Where this process's embedded servers live: the worker's own folder in a parallel run.
SERVER_DATA = TEST_DATA / WORKER if WORKER else TEST_DATA
TEST_HOUSE_SHARDS = 4
# One set of personal-data keys for the session: the application's containers (built from
# settings) and the tests' own units of work read each other's players.
TEST_PII_KEYS = f"1:{secrets.token_hex(32)}"
TEST_PII_INDEX_KEY = secrets.token_hex(32)
TEST_PERSONAL_DATA = PersonalDataCipher(
    *parse_key_ring(TEST_PII_KEYS), parse_index_key(TEST_PII_INDEX_KEY)
)


@dataclass(frozen=True)
class TestServers:
    database_url: str
    redis_url: str


async def _forget_redis_state(redis_url: str) -> None:
    # Counters of an earlier run (throttles, velocity windows, seen updates) are not this
    # run's: start as clean as the freshly created database.
    client = Redis.from_url(redis_url)
    try:
        async for key in client.scan_iter("croupier:*"):
            await client.delete(key)
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def servers() -> Iterator[TestServers]:
    database_url = os.environ.get("CROUPIER_DATABASE_URL")
    redis_url = os.environ.get("CROUPIER_REDIS_URL")
    if WORKER and (database_url or redis_url):
        # Tests create databases of fixed names, race 200 connections, terminate backends and
        # flush Redis's database 7 on the server they are given: workers sharing one would
        # meet each other there.
        pytest.exit(
            "CROUPIER_DATABASE_URL / CROUPIER_REDIS_URL name one server for every worker: run"
            " the suite on them without workers (-n 0), or unset them for servers per worker",
            returncode=4,
        )
    started_pg = started_valkey = False
    if not database_url:
        SERVER_DATA.mkdir(parents=True, exist_ok=True)
        # Throwaway data: no commit waits on the disk (see `ensure_postgres`); what the tests
        # check (crashes of PostgreSQL or its backends, restarts) loses nothing either way.
        server = ensure_postgres(SERVER_DATA / "postgres", fsync=False)
        database_url = ensure_database(server, "croupier_test", recreate=True)
        started_pg = True
    else:
        migrate.downgrade(database_url, "base")
    if not redis_url:
        SERVER_DATA.mkdir(parents=True, exist_ok=True)
        redis_url = ensure_valkey(SERVER_DATA / "valkey")
        started_valkey = True
    migrate.upgrade(database_url)
    asyncio.run(_forget_redis_state(redis_url))
    yield TestServers(database_url, redis_url)
    if os.environ.get("CROUPIER_TEST_KEEP_SERVERS") != "1":
        if started_pg:
            stop_postgres(SERVER_DATA / "postgres")
        if started_valkey:
            stop_valkey(SERVER_DATA / "valkey")


@pytest.fixture(scope="session")
async def migrated_template(servers: TestServers, engine: AsyncEngine) -> str:
    """The name of a database migrated to head that nothing connects to again: `fresh_database`
    copies it (CREATE DATABASE ... TEMPLATE), which takes a fraction of a second and no
    migrations."""
    name = "croupier_test_template"
    await _execute_autocommit(engine, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _execute_autocommit(engine, f'CREATE DATABASE "{name}"')
    await asyncio.to_thread(migrate.upgrade, _database_url(servers, name))
    return name


@pytest.fixture
async def fresh_database(
    servers: TestServers, engine: AsyncEngine, migrated_template: str
) -> AsyncIterator[str]:
    """The URL of a database of the test's own, at head and empty, dropped afterwards. For a
    test that checks the whole database after every step (a stateful test reconciling the
    books): it then reads only what the test made, not every row the suite wrote before it."""
    async with template_copy(servers, engine, migrated_template) as url:
        yield url


@contextlib.asynccontextmanager
async def template_copy(
    servers: TestServers, engine: AsyncEngine, migrated_template: str
) -> AsyncIterator[str]:
    """A new database copied from `migrated_template` (its URL), dropped when the block ends:
    `fresh_database` for a test, a module's own for a module (tests/entrypoints/own_grpc.py)."""
    name = f"croupier_fresh_{secrets.token_hex(4)}"
    await _execute_autocommit(engine, f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    try:
        yield _database_url(servers, name)
    finally:
        await _execute_autocommit(engine, f'DROP DATABASE "{name}" WITH (FORCE)')


def _database_url(servers: TestServers, name: str) -> str:
    return f"{servers.database_url.rpartition('/')[0]}/{name}"


async def _execute_autocommit(engine: AsyncEngine, statement: str) -> None:
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(statement))


@pytest.fixture
def server_folder() -> Iterator[Path]:
    """A fresh folder for an embedded PostgreSQL of the test's own, removed afterwards.

    Not under pytest's `tmp_path`: run as root, the server runs as an unprivileged account
    that needs search permission (o+x) on every parent folder, and every pytest session that
    starts (another worker's, another checkout's) resets /tmp/pytest-of-root to 0700. A server
    there then fails mid-test with "Permission denied" (initdb, pg_ctl start or stop)."""
    folder = TEST_DATA / "scratch" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
async def engine(servers: TestServers) -> AsyncIterator[AsyncEngine]:
    # Big enough to race 200 separate connections at once.
    engine = create_engine(servers.database_url, pool_size=20, max_overflow=230)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def cipher() -> SeedCipher:
    return SeedCipher(secrets.token_bytes(32))


@pytest.fixture(scope="session")
def personal() -> PersonalDataCipher:
    return TEST_PERSONAL_DATA


@pytest.fixture(scope="session")
async def uow_factory(
    engine: AsyncEngine, cipher: SeedCipher, personal: PersonalDataCipher
) -> SqlUnitOfWorkFactory:
    return await start_unit_of_work_factory(engine, TEST_HOUSE_SHARDS, cipher, personal)


@pytest.fixture(scope="session")
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture(scope="session")
def ids() -> UuidV7Generator:
    return UuidV7Generator()


_telegram_ids = itertools.count(secrets.randbelow(2**40) + 1)


@pytest.fixture
def new_telegram_id():
    """A Telegram user id no other test has used in this run."""
    return lambda: next(_telegram_ids)


@pytest.fixture
def unique_key():
    return lambda prefix="k": f"{prefix}-{secrets.token_hex(8)}"


async def race(n: int, make):
    """Start n coroutines at the same instant; return their results or exceptions."""
    start = asyncio.Event()

    async def one(i: int):
        await start.wait()
        return await make(i)

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def bet_writers(engine: AsyncEngine, bet_ids) -> int:
    """How many database transactions wrote these bets (xmin is the writer's id)."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT count(DISTINCT CAST(xmin AS text)) FROM bets"
                    " WHERE id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": [str(i) for i in bet_ids]},
            )
        ).scalar_one()


async def assert_books_balance(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        problems = await reconcile(conn)
    assert problems == [], "\n".join(map(str, problems))


@pytest.fixture
async def books(engine: AsyncEngine) -> AsyncIterator[None]:
    """Reconcile the whole ledger after the test."""
    yield
    await assert_books_balance(engine)


# --- use cases wired to the real database ---------------------------------------------


@pytest.fixture
def house():
    return HouseBook(TEST_HOUSE_SHARDS)


@pytest.fixture
def register(uow_factory, clock):
    return RegisterPlayer(uow_factory, clock)


@pytest.fixture
def credit(uow_factory, clock, ids, house):
    return CreditDeposit(uow_factory, clock, ids, house)


@pytest.fixture
def debit(uow_factory, clock, ids, house):
    return DebitWallet(uow_factory, clock, ids, house)


@pytest.fixture
def adjust(uow_factory, clock, ids, house):
    return AdjustBalance(uow_factory, clock, ids, house)


@pytest.fixture
def transfer(uow_factory, clock, ids):
    return Transfer(uow_factory, clock, ids)


@pytest.fixture
def balances(uow_factory):
    return GetBalances(uow_factory)


@pytest.fixture
def history(uow_factory):
    return ListHistory(uow_factory)


@pytest.fixture
def new_player(register, new_telegram_id):
    async def make(currencies=(XTR,), *, accept_terms=True):
        registration = await register(
            RegisterPlayerCommand(
                new_telegram_id(), currencies=tuple(currencies), accept_terms=accept_terms
            )
        )
        return registration.player

    return make


@pytest.fixture(scope="session")
def seed_source():
    from adapters.seed_cipher import SecretsSeedSource

    return SecretsSeedSource()


@pytest.fixture
def place(uow_factory, clock, ids, house, seed_source):
    from application.betting import PlaceBet

    return PlaceBet(uow_factory, clock, ids, house, seed_source)


@pytest.fixture
def settle(uow_factory, clock, ids, house):
    from application.betting import SettleDiceBet

    return SettleDiceBet(uow_factory, clock, ids, house)


@pytest.fixture
def void(uow_factory, clock, ids, house):
    from application.betting import VoidBet

    return VoidBet(uow_factory, clock, ids, house)


@pytest.fixture
def fund_bankroll(uow_factory, clock, ids, house, unique_key):
    from application.bankroll import FundBankroll, FundBankrollCommand
    from domain.money import Money

    async def fund(amount: int = 10**9, currency=XTR):
        await FundBankroll(uow_factory, clock, ids, house)(
            FundBankrollCommand(Money(amount, currency), "tests", unique_key("fund"))
        )

    return fund


@pytest.fixture
def funded_player(new_player, credit, fund_bankroll, unique_key):
    """A player with `amount` XTR, in a casino whose bankroll can pay out."""
    from application.postings import CreditDepositCommand
    from domain.money import Money

    async def make(amount: int = 1000):
        await fund_bankroll()
        player = await new_player()
        await credit(CreditDepositCommand(player.id, Money(amount, XTR), unique_key("dep")))
        return player

    return make


@pytest.fixture
def event_relay(engine: AsyncEngine, servers: TestServers):
    """Run the outbox relay (to the real `croupier:events` stream and live channels) while a
    block runs: `async with event_relay() as relay: ...`. It waits for any other relay of this
    database to stop first; `relay.published` counts what it published."""
    from adapters.postgres.outbox import SqlOutboxFeed
    from adapters.redis_client import create_redis
    from adapters.redis_events import RedisEventPublisher
    from application.relay import OutboxRelay, RelaySettings

    @contextlib.asynccontextmanager
    async def run(poll_interval: float = 0.01) -> AsyncIterator[OutboxRelay]:
        client = create_redis(servers.redis_url)
        relay = OutboxRelay(
            SqlOutboxFeed(engine),
            RedisEventPublisher(client),
            RelaySettings(poll_interval=poll_interval, lock_poll=0.05),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            yield relay
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await client.aclose()

    return run


@pytest.fixture
def json_logs():
    """What the process's JSON log handler writes while the test runs, at DEBUG: call the
    fixture's value for the lines so far, each parsed into a dict."""
    import io
    import json
    import logging

    from entrypoints.observability.logs import log_handler
    from entrypoints.settings import LogFormat

    stream = io.StringIO()
    handler = log_handler(LogFormat.JSON, stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
