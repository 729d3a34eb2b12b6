"""`croupier reconcile` recomputes settled plinko drops from their seeds (generically, as every
provably fair bet, through the game's `outcome_for`): clean drops pass; a stored path that is
not the seeds' path is reported, even one with the same slot and so the same payout."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database
from adapters.ids import UuidV7Generator
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import PlaceBet, PlaceBetCommand
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR, Money
from entrypoints.cli import main
from tests.conftest import TEST_PERSONAL_DATA, TEST_PII_INDEX_KEY, TEST_PII_KEYS

DROPS = (
    {"rows": "8", "risk": "low"},
    {"rows": "13", "risk": "medium"},
    {"rows": "16", "risk": "high"},
)


@pytest.fixture
async def plinko_books(servers):
    """A fresh database with settled plinko drops, and the settings that reach it."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_plinko", recreate=True)
    await asyncio.to_thread(migrate.upgrade, url)
    key = secrets.token_bytes(32)
    engine = create_engine(url)
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(shards=4)
    uow = await start_unit_of_work_factory(
        engine, house.shards, SeedCipher(key), TEST_PERSONAL_DATA
    )
    await FundBankroll(uow, clock, ids, house)(FundBankrollCommand(Money(10**9, XTR), "t", "fund"))
    player = (
        await RegisterPlayer(uow, clock)(
            RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
        )
    ).player
    await CreditDeposit(uow, clock, ids, house)(
        CreditDepositCommand(player.id, Money(1000, XTR), "deposit")
    )
    place = PlaceBet(uow, clock, ids, house, SecretsSeedSource())
    bets = [
        (await place(PlaceBetCommand(player.id, uuid.uuid4(), "plinko", Money(10, XTR), p))).bet
        for p in DROPS * 2
    ]
    env = {
        "CROUPIER_DATABASE_URL": url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_SEED_KEY": key.hex(),
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_HOUSE_SHARDS": "4",
    }
    yield engine, env, bets
    await engine.dispose()


async def _reconcile(env):
    return await asyncio.to_thread(CliRunner().invoke, main, ["reconcile"], env=env)


async def test_clean_drops_reconcile(plinko_books):
    _, env, bets = plinko_books
    assert {b.game for b in bets} == {"plinko"}
    assert all(b.outcome is not None and b.outcome < 2 ** int(b.params["rows"]) for b in bets)
    result = await _reconcile(env)
    assert result.exit_code == 0, result.output
    assert f"{len(bets)} settled bet(s) recomputed" in result.output


async def test_a_tampered_path_is_reported_even_with_the_same_slot(plinko_books):
    engine, env, bets = plinko_books
    tampered = bets[2]  # 16 rows
    path = tampered.outcome or 0
    # Two neighbouring rows that went different ways, swapped: the same number of rights, so
    # the same slot and payout, but not the seeds' path. (All left or all right, 2 drops in
    # 65,536, has no such rows; then one row flips.)
    row = next((r for r in range(15) if (path >> r & 1) != (path >> (r + 1) & 1)), None)
    swapped = path ^ (0b11 << row) if row is not None else path ^ 1
    async with engine.begin() as conn:
        # As someone editing the table behind the application's back (triggers off).
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text("UPDATE bets SET outcome = :outcome WHERE id = :id"),
            {"outcome": swapped, "id": tampered.id},
        )
    result = await _reconcile(env)
    assert result.exit_code == 1
    assert (
        f"bet does not recompute: {tampered.id}: outcome {swapped}, recomputed from its seeds "
        f"{tampered.outcome}" in result.output
    )
    assert "Traceback" not in result.output
