"""`croupier reconcile` on a database of its own: clean books exit 0; a settled bet whose
outcome no longer recomputes from its seeds, or a missing event, exits 1 naming it."""

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
from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
)
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR, Money
from entrypoints.cli import main
from tests.conftest import TEST_PERSONAL_DATA, TEST_PII_INDEX_KEY, TEST_PII_KEYS


@pytest.fixture
async def books_of_their_own(servers):
    """A fresh database with a few settled bets, and the settings that reach it."""
    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_reconcile", recreate=True)
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
    bets = []
    for game, params in (("limbo", {"target": "2"}), ("coin", {"side": "heads"})) * 3:
        receipt = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), game, Money(10, XTR), params)
        )
        bets.append(receipt.bet)
    bets.append(await _mines_game(uow, clock, ids, house, place, player.id))
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


async def _mines_game(uow, clock, ids, house, place, player_id):
    """A mines game with one mine, cashed out after a safe tile: its settled bet."""
    view = await OpenMines(place, clock)(
        OpenMinesCommand(player_id, uuid.uuid4(), Money(10, XTR), 1)
    )
    async with uow() as unit:
        field = await unit.mines.find(view.id)
    safe = next(t for t in range(25) if t not in field.positions)
    await RevealTile(uow, clock, ids, house)(RevealTileCommand(player_id, view.id, safe))
    done = await CashOutMines(uow, clock, ids, house)(CashOutMinesCommand(player_id, view.id))
    async with uow() as unit:
        return await unit.bets.find(done.id)


async def _reconcile(env):
    return await asyncio.to_thread(CliRunner().invoke, main, ["reconcile"], env=env)


async def test_clean_books_reconcile(books_of_their_own):
    _, env, bets = books_of_their_own
    result = await _reconcile(env)
    assert result.exit_code == 0, result.output
    assert f"{len(bets)} settled bet(s) recomputed" in result.output
    assert "the outbox is complete" in result.output


async def test_a_bet_that_no_longer_recomputes_and_a_lost_event_are_reported(
    books_of_their_own,
):
    engine, env, bets = books_of_their_own
    tampered, other = bets[0], bets[1]
    async with engine.begin() as conn:
        # As someone editing the table behind the application's back (triggers off).
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text("UPDATE bets SET outcome = outcome + 1 WHERE id = :id"), {"id": tampered.id}
        )
        await conn.execute(
            # The bet's outbox rows go (with the other events of their units of work).
            text(
                "DELETE FROM outbox WHERE id IN (SELECT position FROM outbox_events"
                " WHERE aggregate_type = 'bet' AND aggregate_id = :id)"
            ),
            {"id": str(other.id)},
        )
    result = await _reconcile(env)
    assert result.exit_code == 1
    assert f"bet does not recompute: {tampered.id}: outcome" in result.output
    assert str(other.id) in result.output
    assert "outbox is missing an event" in result.output
    assert "do NOT reconcile" in result.output
    assert "Traceback" not in result.output


async def test_a_mines_field_dealt_otherwise_than_its_seeds_is_reported(books_of_their_own):
    engine, env, bets = books_of_their_own
    mines = bets[-1]
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        # The mine moved onto a tile nobody pressed; the revealed tile stays safe either way.
        await conn.execute(
            text(
                "UPDATE mines_games SET positions = ARRAY[(SELECT min(t) FROM"
                " generate_series(0, 24) t WHERE t <> ALL (revealed) AND t <> ALL (positions))]"
                " WHERE id = :id"
            ),
            {"id": mines.id},
        )
    result = await _reconcile(env)
    assert result.exit_code == 1
    assert f"bet does not recompute: {mines.id}: mines at" in result.output
