"""Races on the betting path, each on its own connection to the real PostgreSQL: every bet
placed alone (`PlaceBet`) and again through the process's `BetQueue` (batches)."""

from __future__ import annotations

import secrets
import uuid

import pytest
from sqlalchemy import text

from application.betting import PlaceBet, PlaceBetCommand, SettleDiceBetCommand
from application.betting.queue import BetQueue
from domain.bets import BetState
from domain.errors import IllegalTransition, InsufficientFunds
from domain.money import XTR, Money
from tests.conftest import race

pytestmark = pytest.mark.usefixtures("books")


@pytest.fixture(params=["alone", "queued"])
def place(request, place: PlaceBet):
    """Each race twice: bets placed one by one, and through the queue that batches them."""
    return place if request.param == "alone" else BetQueue(place)


async def _wins_paid(engine, bet_id: uuid.UUID) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT count(*) FROM ledger_transactions"
                    " WHERE reference = :ref AND kind = 'win'"
                ),
                {"ref": f"bet:{bet_id}"},
            )
        ).scalar_one()


async def test_50_concurrent_settles_of_one_bet_pay_once(
    funded_player, place, settle, balances, engine
):
    player = await funded_player(1000)
    placed = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", Money(100, XTR), {"bet": "high"})
    )
    message = secrets.randbelow(2**31)  # a dice message settles one bet, ever
    results = await race(50, lambda i: settle(SettleDiceBetCommand(placed.bet.id, 42, message, 6)))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert sum(1 for r in results if not r.replayed) == 1
    assert {r.bet.payout for r in results} == {194}
    assert await _wins_paid(engine, placed.bet.id) == 1
    assert await balances(player.id) == (Money(1094, XTR),)


async def test_concurrent_settles_with_different_throws_settle_once(
    funded_player, place, settle, engine
):
    player = await funded_player(1000)
    placed = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", Money(100, XTR), {"bet": "high"})
    )
    first = secrets.randbelow(2**31 - 100)  # a dice message settles one bet, ever
    results = await race(
        20, lambda i: settle(SettleDiceBetCommand(placed.bet.id, 43, first + i, 1 + i % 6))
    )
    settled = [r for r in results if not isinstance(r, BaseException)]
    assert len(settled) == 1
    assert all(isinstance(r, IllegalTransition) for r in results if isinstance(r, BaseException))
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT state, dice_message_id FROM bets WHERE id = :id"),
                {"id": placed.bet.id},
            )
        ).one()
    assert row.dice_message_id == settled[0].bet.dice.message_id


async def test_100_concurrent_bets_of_one_player_get_100_consecutive_nonces(
    funded_player, place, engine
):
    player = await funded_player(10_000)
    results = await race(
        100,
        lambda i: place(
            PlaceBetCommand(player.id, uuid.uuid4(), "limbo", Money(10, XTR), {"target": "2"})
        ),
    )
    assert not [r for r in results if isinstance(r, BaseException)]
    nonces = sorted(r.bet.fairness.nonce for r in results)
    assert nonces == list(range(100))
    assert len({r.bet.fairness.seed_pair_id for r in results}) == 1
    async with engine.connect() as conn:
        next_nonce = (
            await conn.execute(
                text(
                    "SELECT next_nonce FROM seed_pairs WHERE player_id = :p AND revealed_at IS NULL"
                ),
                {"p": player.id},
            )
        ).scalar_one()
    assert next_nonce == 100


async def test_a_spam_clicked_button_places_one_bet(funded_player, place, balances, engine):
    player = await funded_player(1000)
    command = PlaceBetCommand(player.id, uuid.uuid4(), "tg_darts", Money(100, XTR), {"bet": "hit"})
    results = await race(30, lambda i: place(command))
    assert not [r for r in results if isinstance(r, BaseException)]
    assert sum(1 for r in results if not r.replayed) == 1
    assert await balances(player.id) == (Money(900, XTR),)
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player.id}
            )
        ).scalar_one()
    assert count == 1


async def test_a_spam_clicked_provably_fair_bet_uses_one_nonce(funded_player, place):
    player = await funded_player(1000)
    command = PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    results = await race(20, lambda i: place(command))
    assert {r.bet.fairness.nonce for r in results} == {0}
    after = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    assert after.bet.fairness.nonce == 1  # the losers' nonces were rolled back, none skipped


async def test_concurrent_stakes_never_overdraw_the_wallet(funded_player, place, balances):
    player = await funded_player(500)
    results = await race(
        40,
        lambda i: place(
            PlaceBetCommand(player.id, uuid.uuid4(), "tg_bowling", Money(50, XTR), {"bet": "miss"})
        ),
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    assert len(placed) == 10
    assert all(isinstance(r, InsufficientFunds) for r in results if isinstance(r, BaseException))
    assert all(r.bet.state is BetState.PLACED for r in placed)
    assert await balances(player.id) == (Money(0, XTR),)
