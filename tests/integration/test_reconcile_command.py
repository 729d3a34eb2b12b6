"""`croupier reconcile` on a database of its own: clean books exit 0; a settled bet whose
outcome no longer recomputes from its seeds, or a missing event, exits 1 naming it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from application.betting import PlaceBetCommand
from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
)
from domain.money import XTR, Money


@pytest.fixture
async def books_of_their_own(fresh_books):
    """Fresh books (a database of their own) with a few settled bets, a mines game last."""
    books = await fresh_books("croupier_reconcile")
    bets = []
    for game, params in (("limbo", {"target": "2"}), ("coin", {"side": "heads"})) * 3:
        receipt = await books.place(
            PlaceBetCommand(books.player_id, uuid.uuid4(), game, Money(10, XTR), params)
        )
        bets.append(receipt.bet)
    bets.append(await _mines_game(books))
    return books, bets


async def _mines_game(books):
    """A mines game with one mine, cashed out after a safe tile: its settled bet."""
    player_id, steps = books.player_id, (books.uow, books.clock, books.ids, books.house)
    view = await OpenMines(books.place, books.clock)(
        OpenMinesCommand(player_id, uuid.uuid4(), Money(10, XTR), 1)
    )
    async with books.uow() as unit:
        field = await unit.mines.find(view.id)
    safe = next(t for t in range(25) if t not in field.positions)
    await RevealTile(*steps)(RevealTileCommand(player_id, view.id, safe))
    done = await CashOutMines(*steps)(CashOutMinesCommand(player_id, view.id))
    async with books.uow() as unit:
        return await unit.bets.find(done.id)


async def test_clean_books_reconcile(books_of_their_own):
    books, bets = books_of_their_own
    result = await books.reconcile()
    assert result.exit_code == 0, result.output
    assert f"{len(bets)} settled bet(s) recomputed" in result.output
    assert "the outbox is complete" in result.output


async def test_a_bet_that_no_longer_recomputes_and_a_lost_event_are_reported(
    books_of_their_own,
):
    books, bets = books_of_their_own
    tampered, other = bets[0], bets[1]
    async with books.engine.begin() as conn:
        # As someone editing the table behind the application's back (triggers off).
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text("UPDATE bets SET outcome = outcome + 1 WHERE id = :id"), {"id": tampered.id}
        )
        await conn.execute(
            # The bet's outbox rows go (with the other events of their units of work): its
            # own aggregate's, or its `bet.played` when it was played in one transaction.
            text(
                "DELETE FROM outbox WHERE id IN (SELECT position FROM outbox_events"
                " WHERE aggregate_type = 'bet' AND aggregate_id = :id"
                " OR type = 'bet.played' AND payload ->> 'bet_id' = :id)"
            ),
            {"id": str(other.id)},
        )
    result = await books.reconcile()
    assert result.exit_code == 1
    assert f"bet does not recompute: {tampered.id}: outcome" in result.output
    assert str(other.id) in result.output
    assert "outbox is missing an event" in result.output
    assert "do NOT reconcile" in result.output
    assert "Traceback" not in result.output


async def test_a_mines_field_dealt_otherwise_than_its_seeds_is_reported(books_of_their_own):
    books, bets = books_of_their_own
    mines = bets[-1]
    async with books.engine.begin() as conn:
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
    result = await books.reconcile()
    assert result.exit_code == 1
    assert f"bet does not recompute: {mines.id}: mines at" in result.output
