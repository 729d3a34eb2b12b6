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
from dataclasses import dataclass
from pathlib import Path

import alone
import asyncpg
from reference import Connection
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
from adapters.postgres.reconcile import reconcile
from application.access import IssueApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR, Money
from entrypoints.composition.containers import make_cli_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import load_settings

SERVICE_DATABASE = "croupier_bench"
PLAYER_BALANCE = 10**7  # XTR each: 10 XTR a bet never runs a wallet dry here
HOT_BALANCE = 10**12  # the most one operation may move (domain.money)
BANKROLL = 10**12
SEED_CONCURRENCY = 16


def upgrade(database_url: str) -> None:
    migrate.upgrade(database_url)


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
        database_url = ensure_database(server, SERVICE_DATABASE, recreate=fresh)
        admin = _connection(server)
    else:
        admin = _connection(database_url)
    if redis_url is None:
        redis_url = ensure_valkey(data_dir / "valkey")
    return Servers(database_url, redis_url, admin, embedded)


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


async def seed(env: dict[str, str], players: int, state_file: Path) -> Seeded:
    """Players, their deposits, the hot player and the bankroll, through the application's own
    use cases (the ledger stays balanced); reused by the next run when still in the database."""
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
            return Seeded(previous[0], previous[1], issued.plaintext)

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
                return player_id

        ids = await asyncio.gather(*(player(n, PLAYER_BALANCE) for n in range(players)))
        hot = await player(players, HOT_BALANCE)
        print(f"seeded {players + 1} players in {time.perf_counter() - started:.1f} s", flush=True)
        _remember(state_file, ids, hot)
        return Seeded(tuple(ids), hot, issued.plaintext)
    finally:
        await container.close()


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
