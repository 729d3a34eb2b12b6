"""`croupier reconcile` recomputes settled plinko drops from their seeds (generically, as every
provably fair bet, through the game's `outcome_for`): clean drops pass; a stored path that is
not the seeds' path is reported, even one with the same slot and so the same payout."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from application.betting import PlaceBetCommand
from domain.money import XTR, Money

DROPS = (
    {"rows": "8", "risk": "low"},
    {"rows": "13", "risk": "medium"},
    {"rows": "16", "risk": "high"},
)


@pytest.fixture
async def plinko_books(fresh_books):
    """Fresh books (a database of their own) with settled plinko drops."""
    books = await fresh_books("croupier_plinko")
    bets = [
        (
            await books.place(
                PlaceBetCommand(books.player_id, uuid.uuid4(), "plinko", Money(10, XTR), p)
            )
        ).bet
        for p in DROPS * 2
    ]
    return books, bets


async def test_clean_drops_reconcile(plinko_books):
    books, bets = plinko_books
    assert {b.game for b in bets} == {"plinko"}
    assert all(b.outcome is not None and b.outcome < 2 ** int(b.params["rows"]) for b in bets)
    result = await books.reconcile()
    assert result.exit_code == 0, result.output
    assert f"{len(bets)} settled bet(s) recomputed" in result.output


async def test_a_tampered_path_is_reported_even_with_the_same_slot(plinko_books):
    books, bets = plinko_books
    tampered = bets[2]  # 16 rows
    path = tampered.outcome or 0
    # Two neighbouring rows that went different ways, swapped: the same number of rights, so
    # the same slot and payout, but not the seeds' path. (All left or all right, 2 drops in
    # 65,536, has no such rows; then one row flips.)
    row = next((r for r in range(15) if (path >> r & 1) != (path >> (r + 1) & 1)), None)
    swapped = path ^ (0b11 << row) if row is not None else path ^ 1
    async with books.engine.begin() as conn:
        # As someone editing the table behind the application's back (triggers off).
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text("UPDATE bets SET outcome = :outcome WHERE id = :id"),
            {"outcome": swapped, "id": tampered.id},
        )
    result = await books.reconcile()
    assert result.exit_code == 1
    assert (
        f"bet does not recompute: {tampered.id}: outcome {swapped}, recomputed from its seeds "
        f"{tampered.outcome}" in result.output
    )
    assert "Traceback" not in result.output
