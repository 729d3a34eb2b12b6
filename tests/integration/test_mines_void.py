"""A mines game voided before its first tile, on the real PostgreSQL: the stake back in one
balanced refund, the event in the outbox, the books reconciled; the database's own rules (a
voided game has no tile, and never changes); and the race of a void with reveals and
cash-outs on one game, which exactly one kind of step wins."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.reconcile import _CHECKS
from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
    VoidMines,
    VoidMinesCommand,
)
from domain.bets import BetState
from domain.errors import IllegalTransition
from domain.mines import MinesState
from domain.money import XTR, Money
from tests.conftest import race
from tests.integration.test_mines import _postings

pytestmark = pytest.mark.usefixtures("books")


@pytest.fixture
def mines(uow_factory, clock, ids, house, place):
    args = (uow_factory, clock, ids, house)
    return OpenMines(place, clock), RevealTile(*args), CashOutMines(*args), VoidMines(*args)


async def _one(engine, sql: str, **params):
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).one()


async def test_a_void_returns_the_stake_once_with_its_event(funded_player, mines, balances, engine):
    opened, _, _, void = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(100, XTR), 3))
    assert await balances(player.id) == (Money(900, XTR),)
    voided = await void(VoidMinesCommand(player.id, view.id))
    assert voided.state is MinesState.VOIDED
    assert voided.payout == 100
    assert voided.balance == Money(1000, XTR)
    assert (await void(VoidMinesCommand(player.id, view.id))).replayed
    assert await balances(player.id) == (Money(1000, XTR),)
    assert sorted(await _postings(engine, view.id)) == ["bet", "refund"]
    row = await _one(
        engine,
        "SELECT m.state, m.revealed, b.state AS bet_state, m.finished_at IS NOT NULL AS ended"
        " FROM mines_games m JOIN bets b ON b.id = m.id WHERE m.id = :id",
        id=view.id,
    )
    assert (row.state, row.revealed, row.bet_state, row.ended) == ("voided", [], "voided", True)
    async with engine.connect() as conn:
        events = await conn.execute(
            text(
                "SELECT type FROM outbox_events WHERE aggregate_type = 'bet'"
                " AND aggregate_id = :id ORDER BY sequence"
            ),
            {"id": str(view.id)},
        )
        assert [r.type for r in events] == ["bet.placed", "bet.voided"]
    # Another game may open in the currency: the voided one is not open.
    assert (await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))).open


async def test_the_database_keeps_a_voided_game_without_tiles(funded_player, mines, engine):
    opened, _, _, void = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    await void(VoidMinesCommand(player.id, view.id))
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="already voided"):
            await conn.execute(
                text("UPDATE mines_games SET revealed = '{0}' WHERE id = :id"), {"id": view.id}
            )
    other = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="ck_mines_games_voided"):
            await conn.execute(
                text(
                    "UPDATE mines_games SET revealed = '{0}', state = 'voided',"
                    " finished_at = now() WHERE id = :id"
                ),
                {"id": other.id},
            )


async def test_reconciliation_finds_a_game_and_its_bet_apart(funded_player, mines, engine):
    """A field voided behind the application's back, its bet still placed, is reported (in a
    transaction rolled back, so the suite's own reconciliation stays clean)."""
    opened, *_ = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE mines_games DISABLE TRIGGER mines_games_guard_step"))
        await conn.execute(
            text("UPDATE mines_games SET state = 'voided', finished_at = now() WHERE id = :id"),
            {"id": view.id},
        )
        check = dict(_CHECKS)["mines game and its bet disagree"]
        rows = (await conn.execute(text(check))).all()
        await conn.rollback()
    assert [(r.id, r.state, r.bet_state) for r in rows] == [(view.id, "voided", "placed")]


@pytest.mark.parametrize("seed", range(3))
async def test_a_void_racing_reveals_and_cash_outs_lets_one_win(
    funded_player, mines, balances, engine, uow_factory, seed
):
    """Voids, reveals and cash-outs pressed at once on a game with no tile: either the void
    lands first (every tile and cash-out then refused, the stake back) or a tile does (every
    void then refused, the game played on); the bet ends at most once, and the books hold."""
    opened, reveal, cash_out, void = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(100, XTR), 3))
    positions = (
        await _one(engine, "SELECT positions FROM mines_games WHERE id = :id", id=view.id)
    ).positions
    safe = [t for t in range(25) if t not in positions]

    def step(i: int):
        match (i + seed) % 3:
            case 0:
                return void(VoidMinesCommand(player.id, view.id))
            case 1:
                return reveal(RevealTileCommand(player.id, view.id, safe[i % 5]))
            case _:
                return cash_out(CashOutMinesCommand(player.id, view.id))

    results = await race(30, step)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, IllegalTransition)
    ]
    assert unexpected == []
    wins = [r for r in results if not isinstance(r, BaseException)]
    async with uow_factory() as uow:
        bet = await uow.bets.find(view.id)
    assert bet is not None
    field = await _one(engine, "SELECT state, revealed FROM mines_games WHERE id = :id", id=view.id)
    kinds = await _postings(engine, view.id)
    if field.state == "voided":
        assert field.revealed == []
        assert bet.state is BetState.VOIDED
        assert all(w.state is MinesState.VOIDED for w in wins)
        assert sorted(kinds) == ["bet", "refund"]
        assert await balances(player.id) == (Money(1000, XTR),)
    else:
        assert field.revealed != []
        assert all(w.state is not MinesState.VOIDED for w in wins)
        assert bet.state in (BetState.PLACED, BetState.WON)
        assert len(kinds) == (1 if bet.state is BetState.PLACED else 2)
        assert await balances(player.id) == (Money(900 + (bet.payout or 0), XTR),)
