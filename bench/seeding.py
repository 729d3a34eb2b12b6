"""Everything of the benchmark that uses the application itself: the servers, the schema,
the seeded players and the API key. Imported by run.py only after it chose which source tree
to run (see --ref), so the load generators never import the application."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import alone
import asyncpg
from dishka import AsyncContainer
from reference import Connection
from relay_backlog import Nowhere
from settle import with_statistics
from sqlalchemy.engine import make_url

from adapters.embedded_servers import (
    ensure_database,
    ensure_postgres,
    ensure_valkey,
    stop_postgres,
    stop_valkey,
)
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.postgres.reconcile import reconcile
from application.access import IssueApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import PlaceBetCommand
from application.betting.queue import BetQueue
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.relay import OutboxRelay
from application.seeds import GetSeedPair
from domain.money import XTR, Money
from entrypoints.composition.containers import make_cli_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import load_settings

SERVICE_DATABASE = "croupier_bench"
# The seeded state (players, deposits, the hot player, the bankroll, every player's seed pair),
# kept once seeded; each run's service database is a copy of it (see `start_servers`).
SEEDED_TEMPLATE = "croupier_bench_seeded"
PLAYER_BALANCE = 10**7  # XTR each: 10 XTR a bet never runs a wallet dry here
HOT_BALANCE = 10**12  # the most one operation may move (domain.money)
BANKROLL = 10**12
SEED_CONCURRENCY = 16
# The template's history: a coin bet a player (`_history`), what the benchmark's load places.
HISTORY_BET = ("coin", Money(10, XTR), {"side": "heads"})


def upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)


def downgrade_to(database_url: str, source: Path) -> None:
    """Take the database down to the newest migration of another tree's `src` (a `--ref`
    commit's), when the schema is past it; the working tree's migrations know the way down."""
    versions = source / "adapters" / "postgres" / "migrations" / "versions"
    head = max(path.name.partition("_")[0] for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))
    current = asyncio.run(migrate.current_revision(database_url))
    if current is not None and current > head:
        print(f"migrating the run's database down from {current} to {head}", flush=True)
        migrate.downgrade(database_url, head)


@dataclass(frozen=True, slots=True)
class Servers:
    database_url: str  # the service's database (SQLAlchemy-style URL)
    redis_url: str
    admin: Connection  # where the reference database is created
    embedded: bool


def _connection(url: str) -> Connection:
    parsed = make_url(url)
    return Connection(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def start_servers(data_dir: Path, fresh: bool) -> Servers:
    database_url = os.environ.get("CROUPIER_DATABASE_URL")
    redis_url = os.environ.get("CROUPIER_REDIS_URL")
    embedded = database_url is None
    if database_url is None:
        server = ensure_postgres(data_dir / "postgres")
        admin = _connection(server)
        database_url = asyncio.run(_service_database(server, admin, fresh))
    else:
        admin = _connection(database_url)
    if redis_url is None:
        redis_url = ensure_valkey(data_dir / "valkey")
    return Servers(database_url, redis_url, admin, embedded)


async def _service_database(server: str, admin: Connection, fresh: bool) -> str:
    """The embedded server's service database for this run, anew: a copy of the seeded
    template, or (no template yet, or `fresh`) an empty database that `seed` fills and then
    keeps as the template. Every run thus starts from the same seeded state, as the reference
    database does (created anew each run): without this the service's tables kept every bet
    of every earlier run (3.3 GB after a day of runs, its indexes far over `shared_buffers`),
    and PostgreSQL's CPU a bet rose with them (+15-18% against a fresh copy, bench/README.md,
    "Every run on the same seeded state")."""
    conn = await admin.connect()
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{SEEDED_TEMPLATE}" WITH (FORCE)')
        await conn.execute(f'DROP DATABASE IF EXISTS "{SERVICE_DATABASE}" WITH (FORCE)')
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", SEEDED_TEMPLATE):
            # (A template kept before its statistics were: analysed once, here.)
            await with_statistics(admin.on(SEEDED_TEMPLATE))
            await mark_published(f"{server.rpartition('/')[0]}/{SEEDED_TEMPLATE}")
            await conn.execute(f'CREATE DATABASE "{SERVICE_DATABASE}" TEMPLATE "{SEEDED_TEMPLATE}"')
    finally:
        await conn.close()
    # Creates the empty database when there was no template to copy.
    return ensure_database(server, SERVICE_DATABASE)


async def mark_published(database_url: str) -> bool:
    """Publish what `database_url`'s outbox holds to nowhere, through the relay itself
    (`OutboxRelay` on its real session, `relay_backlog.Nowhere` as the publisher), so that its
    watermark moves as it does after a publish; whether anything was owed. The seeding's events
    (its players, deposits and history: some 40,000) have no subscriber here, and every run's
    copy of the template held them unpublished: its relay caught up on them at its start, which
    took the relay's RSS from ~100 to 183 MB (500 rows a read, each of the history's rows 64
    bets' events; bench/README.md, 2026-12-05 16:25)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        feed = SqlOutboxFeed(engine)
        async with feed.claim() as session:
            if session is None:  # a relay runs on it: it publishes them itself
                return False
            owed = await session.backlog()
            relay = OutboxRelay(feed, Nowhere())
            while await relay.relay_batch(session):
                pass
            return owed > 0
    finally:
        await engine.dispose()


def seeded_template(servers: Servers) -> Connection | None:
    """Where `seed` keeps what it seeded as the template of later runs: the embedded server's
    admin connection; None on servers of CROUPIER_DATABASE_URL, whose database is left as it
    is (never dropped or copied)."""
    return servers.admin if servers.embedded else None


async def _keep_as_template(admin: Connection) -> None:
    """The service database just seeded becomes the template later runs copy (replacing an
    older one), analysed first so that every copy carries the same statistics. CREATE
    DATABASE … TEMPLATE needs nobody else connected to its source."""
    # (Always: autovacuum may have analysed a table while it was still filling.)
    await with_statistics(admin.on(SERVICE_DATABASE), always=True)
    conn = await admin.connect()
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            SERVICE_DATABASE,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{SEEDED_TEMPLATE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{SEEDED_TEMPLATE}" TEMPLATE "{SERVICE_DATABASE}"')
    finally:
        await conn.close()


def stop_servers(data_dir: Path) -> None:
    stop_postgres(data_dir / "postgres")
    stop_valkey(data_dir / "valkey")


def start_counting_servers(data_dir: Path, fresh: bool) -> Servers:
    """`start_servers`, with pg_stat_statements preloaded on embedded servers: it counts a
    bet's statements (alone.py) and is loaded at a server's start only, so a server without
    it is asked for it and started again."""
    servers = start_servers(data_dir, fresh)
    if servers.embedded and not asyncio.run(alone.preload(servers.admin)):
        stop_servers(data_dir)
        servers = start_servers(data_dir, False)
    return servers


async def server_settings(database_url: str) -> dict[str, str]:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        names = (
            "server_version",
            "fsync",
            "synchronous_commit",
            "wal_sync_method",
            "full_page_writes",
            "shared_buffers",
            "max_connections",
        )
        return {name: str(await conn.fetchval(f"SHOW {name}")) for name in names}
    finally:
        await conn.close()


# --------------------------------------------------------------------------------- seeding


@dataclass(frozen=True, slots=True)
class Seeded:
    players: tuple[int, ...]
    hot: int
    api_key: str
    anew: bool = False  # seeded in this run (not found from an earlier one)


def service_environment(data_dir: Path, servers: Servers) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CROUPIER_DATA_DIR=str(data_dir),
        CROUPIER_DATABASE_URL=servers.database_url,
        CROUPIER_REDIS_URL=servers.redis_url,
        CROUPIER_VELOCITY_BETS_PER_SECOND="0",
        CROUPIER_RISK_MONITOR_INTERVAL_S="0",
    )
    return env


async def seed(
    env: dict[str, str], players: int, state_file: Path, *, template: Connection | None = None
) -> Seeded:
    """Players, their deposits and seed pairs, the hot player and the bankroll, through the
    application's own use cases (the ledger stays balanced); reused by the next run when still
    in the database. Seeded anew with `template` (the embedded server's admin connection), the
    database is then kept as the template the next runs copy (`start_servers`)."""
    seeded = await _seed(env, players, state_file)
    if template is not None and seeded.anew:
        await _keep_as_template(template)
    return seeded


async def _seed(env: dict[str, str], players: int, state_file: Path) -> Seeded:
    settings = load_settings(env)
    assert settings.database_url is not None
    assert settings.redis_url is not None
    endpoints = Endpoints(settings.database_url, settings.redis_url, False, False)
    container = make_cli_container(settings, endpoints)
    try:
        async with container() as scope:
            issued = await (await scope.get(IssueApiKey))(
                f"bench-{secrets.token_hex(4)}", frozenset({"betting"})
            )
        previous = _reusable(state_file, players)
        if previous is not None and await _still_there(settings.database_url, previous):
            print(f"reusing {len(previous[0])} seeded players from {state_file}", flush=True)
            if await _bets(settings.database_url) >= len(previous[0]):
                return Seeded(previous[0], previous[1], issued.plaintext, anew=False)
            # A template seeded before its players had a history: given one now, and kept
            # again (as a template seeded anew is).
            await _history(container, previous[0])
            return Seeded(previous[0], previous[1], issued.plaintext, anew=True)

        started = time.perf_counter()
        run = secrets.token_hex(4)
        first_telegram_id = 10**11 + secrets.randbelow(10**11)
        async with container() as scope:
            fund = await scope.get(FundBankroll)
            await fund(FundBankrollCommand(Money(BANKROLL, XTR), "bench", f"bench-fund-{run}"))

        slots = asyncio.Semaphore(SEED_CONCURRENCY)

        async def player(number: int, balance: int) -> int:
            async with slots, container() as scope:
                register = await scope.get(RegisterPlayer)
                credit = await scope.get(CreditDeposit)
                commitment = await scope.get(GetSeedPair)
                registration = await register(
                    RegisterPlayerCommand(
                        first_telegram_id + number, currencies=(XTR,), accept_terms=True
                    )
                )
                player_id = registration.player.id
                await credit(
                    CreditDepositCommand(
                        player_id, Money(balance, XTR), f"bench-seed-{run}-{player_id}"
                    )
                )
                # Every player has shown their commitment before the first bet (as the Mini
                # App does), so no case pays for seed pairs the others find made.
                await commitment(player_id)
                return player_id

        ids = await asyncio.gather(*(player(n, PLAYER_BALANCE) for n in range(players)))
        hot = await player(players, HOT_BALANCE)
        await _history(container, ids)
        print(f"seeded {players + 1} players in {time.perf_counter() - started:.1f} s", flush=True)
        _remember(state_file, ids, hot)
        return Seeded(tuple(ids), hot, issued.plaintext, anew=True)
    finally:
        await container.close()


async def _history(container: AsyncContainer, players: Sequence[int]) -> None:
    """One coin bet a player, placed through the process's bet queue (the road every door's
    bets take), so that the template's `bets` holds rows when it is analysed, as a live
    casino's does. The service plans its betting statements once per connection (generic
    plans, kept until an ANALYZE of a table they read), and a plan made on an empty `bets`,
    analysed or not, scans it whole for a batch's ids: each run's copy then paid a growing scan
    a batch until autovacuum's first ANALYZE of it (up to a minute in), +35% of PostgreSQL's
    CPU a bet in a 16-s unary window (bench/README.md, 2026-12-05 16:25)."""
    started = time.perf_counter()
    queue = await container.get(BetQueue)
    await asyncio.gather(
        *queue.submit(PlaceBetCommand(p, uuid.uuid4(), *HISTORY_BET) for p in players)
    )
    print(
        f"placed a bet for each of {len(players)} players in"
        f" {time.perf_counter() - started:.1f} s (the template's history)",
        flush=True,
    )


async def _bets(database_url: str) -> int:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM bets"))
    finally:
        await conn.close()


def _remember(state_file: Path, ids: list[int], hot: int) -> None:
    state_file.write_text(json.dumps({"players": ids, "hot": hot}))


def _reusable(state_file: Path, players: int) -> tuple[tuple[int, ...], int] | None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        state = json.loads(state_file.read_text())
        ids = tuple(int(i) for i in state["players"])
        if len(ids) == players:
            return ids, int(state["hot"])
    return None


async def _still_there(database_url: str, previous: tuple[tuple[int, ...], int]) -> bool:
    ids = [*previous[0], previous[1]]
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        found = await conn.fetchval("SELECT count(*) FROM players WHERE id = ANY($1)", ids)
    finally:
        await conn.close()
    return bool(found == len(ids))


async def check_books(database_url: str) -> list[str]:
    """The ledger's invariants after the run (`adapters.postgres.reconcile`): every broken
    one, or nothing when the books balance."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            return [str(problem) for problem in await reconcile(conn)]
    finally:
        await engine.dispose()
