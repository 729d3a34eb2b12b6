"""The services' least-privilege database role, on a database of its own laid out by the
compose stack's own init script (deploy/postgres/initdb): its non-superuser owner runs the
migrations and `croupier db grant`; the application, connected as the granted role, does its
real work, and cannot change the schema or rewrite the books."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database, postgres_tools
from adapters.ids import UuidV7Generator
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.errors import sqlstate
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.postgres.privileges import TABLE_PRIVILEGES
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.betting import (
    BetReceipt,
    PlaceBet,
    PlaceBetCommand,
    PlaceBets,
    SettleDiceBet,
    SettleDiceBetCommand,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.relay import OutboxRelay, RelaySettings
from application.responsible import SetLimit
from application.staff import Actor
from application.withdrawals import ApproveWithdrawal, MarkWithdrawalPaid, RequestWithdrawal
from domain.bets import BetState
from domain.money import XTR, Money
from domain.responsible import LimitKind, LimitPeriod
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutSent, WithdrawalState
from entrypoints.cli import main
from tests.conftest import TEST_PERSONAL_DATA, TEST_PII_INDEX_KEY, TEST_PII_KEYS

pytestmark = pytest.mark.integration

DATABASE = "croupier_roles"
# The names the init script gives them (roles are cluster-wide: this test owns them here).
OWNER = "croupier_owner"
APP = "croupier_app"
INIT_SCRIPT = Path(__file__).resolve().parents[2] / "deploy/postgres/initdb/10-croupier-roles.sh"
SHARDS = 4
INSUFFICIENT_PRIVILEGE = "42501"


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=f"pw-{role}").render_as_string(False)


async def _superuser_sql(server: str, *statements: str) -> None:
    engine = create_engine(server, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def _cli(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(main, args, env=env)


def _run_init_script(server: str, database: str) -> None:
    """As the postgres image runs it: its superuser, its database, the passwords in env."""
    where = make_url(server)
    done = subprocess.run(
        ["sh", str(INIT_SCRIPT)],
        env={
            **os.environ,
            "PATH": f"{postgres_tools()}{os.pathsep}{os.environ['PATH']}",
            "PGHOST": str(where.host),
            "PGPORT": str(where.port),
            "POSTGRES_USER": str(where.username),
            "POSTGRES_DB": database,
            "CROUPIER_OWNER_DB_PASSWORD": f"pw-{OWNER}",
            "CROUPIER_APP_DB_PASSWORD": f"pw-{APP}",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
async def laid_out(servers):
    """The database, its owner and the app role; returns (owner URL, app URL, env, seed key)."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, DATABASE, recreate=True)
    await _superuser_sql(
        server,
        f"DROP DATABASE IF EXISTS {DATABASE}_empty",
        f"DROP ROLE IF EXISTS {APP}",
        f"DROP ROLE IF EXISTS {OWNER}",
    )
    await asyncio.to_thread(_run_init_script, server, DATABASE)
    await _superuser_sql(server, f"CREATE DATABASE {DATABASE}_empty OWNER {OWNER}")
    owner_url, app_url = _as(url, OWNER), _as(url, APP)
    await asyncio.to_thread(migrate.upgrade, owner_url)
    key = secrets.token_bytes(32).hex()
    env = {
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_SEED_KEY": key,
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_HOUSE_SHARDS": str(SHARDS),
    }
    first = await asyncio.to_thread(
        _cli, ["db", "grant", APP], {**env, "CROUPIER_DATABASE_URL": owner_url}
    )
    assert first.exit_code == 0, first.output
    assert f"role {APP} granted the services' privileges on {len(TABLE_PRIVILEGES)} tables" in (
        first.output
    )
    return owner_url, app_url, env, key


async def _privileges(engine: AsyncEngine) -> dict[str, set[str]]:
    kinds = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT t.name, k FROM (SELECT tablename FROM pg_tables"
                " WHERE schemaname = 'public' UNION ALL SELECT viewname FROM pg_views"
                " WHERE schemaname = 'public') AS t(name), unnest(CAST(:kinds AS text[])) k"
                " WHERE has_table_privilege(:role, 'public.' || t.name, k)"
            ),
            {"kinds": list(kinds), "role": APP},
        )
        found: dict[str, set[str]] = {}
        for table, kind in rows:
            found.setdefault(table, set()).add(kind)
        return found


async def test_the_grant_is_exactly_the_map_and_repeating_it_restores_it(laid_out):
    owner_url, _, env, _ = laid_out
    owner = create_engine(owner_url, pool_size=1, max_overflow=0)
    try:
        expected = {t: set(p) for t, p in TABLE_PRIVILEGES.items() if p}
        assert await _privileges(owner) == expected
        # Something granted by hand (or left by an older version) goes at the next grant.
        async with owner.begin() as conn:
            await conn.execute(text(f"GRANT DELETE, TRUNCATE ON ledger_legs, bets TO {APP}"))
        assert "DELETE" in (await _privileges(owner))["ledger_legs"]
        again = await asyncio.to_thread(
            _cli, ["db", "grant", APP], {**env, "CROUPIER_DATABASE_URL": owner_url}
        )
        assert again.exit_code == 0, again.output
        assert await _privileges(owner) == expected
        async with owner.connect() as conn:
            schema_create, is_owner = (
                await conn.execute(
                    text(
                        "SELECT has_schema_privilege(:r, 'public', 'CREATE'),"
                        " pg_has_role(:r, (SELECT relowner FROM pg_class WHERE relname = 'bets'),"
                        " 'USAGE')"
                    ),
                    {"r": APP},
                )
            ).one()
        assert (schema_create, is_owner) == (False, False)
        async with owner.connect() as conn:
            public_may_connect, app_may_connect = (
                await conn.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
                        "  WHERE d.datname = current_database() AND a.grantee = 0),"
                        " has_database_privilege(:r, current_database(), 'CONNECT')"
                    ),
                    {"r": APP},
                )
            ).one()
        # The init script took CONNECT from PUBLIC; the grant gave it to the app role.
        assert (public_may_connect, app_may_connect) == (False, True)
        async with owner.connect() as conn:
            functions = {
                r.proname: (r.prosecdef, r.public_may, r.app_may)
                for r in await conn.execute(
                    text(
                        "SELECT p.proname, p.prosecdef,"
                        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)"
                        " AS public_may,"
                        " has_function_privilege(:r, p.oid, 'EXECUTE') AS app_may"
                        " FROM pg_proc p"
                        " WHERE p.proname IN ('ledger_post', 'ledger_post_many', 'place_bets',"
                        " 'place_round_bets',"
                        " 'outbox_append', 'outbox_prune', 'crash_link', 'crash_open_round',"
                        " 'crash_start_round', 'crash_round_hash')"
                    ),
                    {"r": APP},
                )
            }
        # Postings run with the owner's rights, one transaction (ledger_post) or several
        # (ledger_post_many); place_bets too: it locks accounts, and moves them only through
        # ledger_post_many. Only the roles granted may call them.
        assert functions == {
            "ledger_post": (True, False, True),
            "ledger_post_many": (True, False, True),
            "place_bets": (True, False, True),
            # Crash bets on the snapshot road: place_bets, the round's checks and the seats.
            "place_round_bets": (True, False, True),
            "outbox_append": (False, False, True),
            # The only way to delete outbox rows (published ones): the role has no DELETE.
            "outbox_prune": (True, False, True),
            # Crash's chain: only its owner's functions read the links, and the app may not
            # call the one that gives any link (crash_link).
            "crash_link": (True, False, False),
            "crash_open_round": (True, False, True),
            "crash_start_round": (True, False, True),
            "crash_round_hash": (True, False, True),
        }
    finally:
        await owner.dispose()


async def test_the_application_does_its_work_as_the_app_role(laid_out, servers):
    _, app_url, env, key = laid_out
    app_env = {**env, "CROUPIER_DATABASE_URL": app_url}
    # A CLI command starts by checking the schema is current: as the app role that must read,
    # not try to change, it.
    funded = await asyncio.to_thread(
        _cli, ["bankroll", "fund", "XTR", "1000000", "--staff", "ops"], app_env
    )
    assert funded.exit_code == 0, funded.output

    engine = create_engine(app_url)
    redis = create_redis(servers.redis_url)
    stream = f"croupier:test:app-role:{secrets.token_hex(4)}"
    try:
        clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(SHARDS)
        uow = await start_unit_of_work_factory(
            engine, SHARDS, SeedCipher(bytes.fromhex(key)), TEST_PERSONAL_DATA
        )
        player = (
            await RegisterPlayer(uow, clock)(
                RegisterPlayerCommand(9001, currencies=(XTR,), accept_terms=True)
            )
        ).player
        await CreditDeposit(uow, clock, ids, house)(
            CreditDepositCommand(player.id, Money(5_000, XTR), "app-role-deposit")
        )
        await SetLimit(uow, clock)(player.id, LimitKind.LOSS, LimitPeriod.DAY, Money(4_000, XTR))

        place = PlaceBet(uow, clock, ids, house, SecretsSeedSource())
        single = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "limbo", Money(10, XTR), {"target": "2"})
        )
        assert single.bet.state in (BetState.WON, BetState.LOST)
        batch = await PlaceBets(place)(
            [
                PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
                for _ in range(3)
            ]
        )
        assert all(isinstance(o, BetReceipt) for o in batch), batch
        dice = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", Money(10, XTR), {"bet": "high"})
        )
        settled = await SettleDiceBet(uow, clock, ids, house)(
            SettleDiceBetCommand(dice.bet.id, chat_id=1, message_id=2, value=6)
        )
        assert settled.bet.state is BetState.WON

        class NoHolds:
            async def open_holds(self, *args: object) -> list[str]:
                return []

        class Sent:
            async def send(self, withdrawal: object) -> PayoutSent:
                return PayoutSent()

        policy = WithdrawalPolicy(
            {"XTR": CurrencyWithdrawalLimits(10, 10_000, daily=10_000, kyc_threshold=10_000)},
            wagering_multiple=0,
        )
        staff = Actor("staff:ops", "10.0.0.1")
        requested = await RequestWithdrawal(uow, clock, ids, house, policy, NoHolds())(
            player.id, Money(100, XTR), "UQ-player-wallet", uuid.uuid4()
        )
        approved = await ApproveWithdrawal(uow, clock, ids, house, Sent())(requested.id, staff)
        paid = await MarkWithdrawalPaid(uow, clock, ids, house)(approved.id, "tx-1", staff)
        assert paid.state is WithdrawalState.PAID

        relay = OutboxRelay(
            SqlOutboxFeed(engine),
            RedisEventPublisher(redis, stream=stream),
            RelaySettings(poll_interval=0.01, lock_poll=0.05),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            async with asyncio.timeout(30):
                while True:
                    async with engine.connect() as conn:
                        waiting = (
                            await conn.execute(
                                text("SELECT count(*) FROM outbox_events WHERE NOT published")
                            )
                        ).scalar_one()
                    if waiting == 0:
                        break
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
        assert relay.published > 0
        assert await redis.xlen(stream) == relay.published

        reconciled = await asyncio.to_thread(_cli, ["reconcile"], app_env)
        assert reconciled.exit_code == 0, reconciled.output
        assert "the books reconcile" in reconciled.output

        # Outbox retention runs as the services' role too: outbox_prune (its owner's rights)
        # deletes what the relay published, and the books still reconcile past its horizon.
        async with engine.begin() as conn:
            pruned = await conn.scalar(text("SELECT deleted FROM outbox_prune(now(), 1, 10000)"))
        assert pruned > 0
        kept = await asyncio.to_thread(_cli, ["outbox", "prune"], app_env)
        assert kept.exit_code == 0, kept.output
        assert "deleted 0 published outbox row(s)" in kept.output
        reconciled = await asyncio.to_thread(_cli, ["reconcile"], app_env)
        assert reconciled.exit_code == 0, reconciled.output

        # A personal-data key rotation runs as the services' role too (re-seals in place).
        rotation_env = {
            **app_env,
            "CROUPIER_PII_KEYS": f"9:{secrets.token_hex(32)},{TEST_PII_KEYS}",
        }
        rotated = await asyncio.to_thread(_cli, ["pii", "rotate"], rotation_env)
        assert rotated.exit_code == 0, rotated.output
        status = await asyncio.to_thread(_cli, ["pii", "status"], rotation_env)
        assert status.exit_code == 0, status.output
    finally:
        await redis.delete(stream)
        await redis.aclose()
        await engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE bets",
        "ALTER TABLE ledger_legs ADD COLUMN note text",
        "TRUNCATE ledger_legs",
        "TRUNCATE audit_log",
        "CREATE TABLE stash (id int)",
        "UPDATE ledger_legs SET amount = amount + 1",
        "DELETE FROM ledger_legs",
        # Balances and the journal move only through ledger_post (its owner's rights).
        "UPDATE accounts SET balance = balance + 1000",
        "INSERT INTO ledger_legs (transaction_id) SELECT transaction_id FROM ledger_legs LIMIT 0",
        "INSERT INTO ledger_transactions SELECT * FROM ledger_transactions LIMIT 0",
        "UPDATE ledger_transactions SET reference = 'x'",
        "DELETE FROM ledger_transactions",
        "UPDATE audit_log SET action = action",
        "DELETE FROM bets",
        # Events go only through outbox_prune, and only published ones.
        "DELETE FROM outbox",
        "SELECT setval('accounts_id_seq', 1)",
        "ALTER TABLE ledger_legs DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
        # Crash: the chain's links are as good as its secret; its commitment is the owner's.
        "SELECT link_hash FROM crash_chain_checkpoints",
        "UPDATE crash_chains SET next_round = next_round + 1",
        "INSERT INTO crash_rounds (chain_id, number, phase, betting_ends_at)"
        " SELECT id, 99, 'betting', now() FROM crash_chains LIMIT 0",
        "SELECT crash_link(1, 0)",
    ],
)
async def test_the_app_role_may_not(laid_out, statement):
    """Refused by privilege (42501) — not by a trigger further on, which a role that could
    disable triggers or truncate would get past."""
    _, app_url, _, _ = laid_out
    engine = create_engine(app_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as refused:
                await conn.exec_driver_sql(statement)
        assert sqlstate(refused.value) == INSUFFICIENT_PRIVILEGE, refused.value
    finally:
        await engine.dispose()


async def test_the_app_role_on_an_unmigrated_schema_says_so_without_a_traceback(laid_out):
    _, app_url, env, _ = laid_out
    empty = make_url(app_url).set(database=f"{DATABASE}_empty").render_as_string(False)
    result = await asyncio.to_thread(
        _cli, ["currency", "list"], {**env, "CROUPIER_DATABASE_URL": empty}
    )
    assert result.exit_code == 1
    assert "this role may not change it" in result.output
    assert "croupier db upgrade" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("connect_as", "role", "message"),
    [
        (OWNER, 'x"; DROP TABLE bets; --', "is not a role name"),
        (OWNER, "Croupier_App", "is not a role name"),
        (OWNER, "nobody_here", "role nobody_here does not exist"),
        (OWNER, OWNER, "must connect as a role of their own"),
        (OWNER, "postgres", "must connect as a role of their own"),
        (APP, APP, "must connect as a role of their own"),
    ],
)
async def test_a_grant_that_cannot_be_made_is_refused_clearly(laid_out, connect_as, role, message):
    owner_url, app_url, env, _ = laid_out
    url = owner_url if connect_as == OWNER else app_url
    result = await asyncio.to_thread(
        _cli, ["db", "grant", role], {**env, "CROUPIER_DATABASE_URL": url}
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


async def test_another_role_that_may_not_grant_is_told_to_use_the_owner(laid_out, servers):
    _, app_url, env, _ = laid_out
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    other = "croupier_other_t"
    await _superuser_sql(
        server, f"DROP ROLE IF EXISTS {other}", f"CREATE ROLE {other} LOGIN NOSUPERUSER"
    )
    # The app role, connected, tries to hand its privileges to another role.
    result = await asyncio.to_thread(
        _cli, ["db", "grant", other], {**env, "CROUPIER_DATABASE_URL": app_url}
    )
    assert result.exit_code == 1
    assert "connect as the role that owns it" in result.output
    assert "Traceback" not in result.output
