"""Rakeback claims and the daily bonus on the real database: a claim reads the settled bets
through the index, pays stake x edge x share once through the promotions books and the
budget, two claims racing pay once (and ten double taps of one claim id answer one claim), the
chain refuses a second claim after the same one even without the lock, and the daily bonus
pays once a day however many taps race (the books reconcile after every test)."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import text

from application.betting import PlaceBetCommand
from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus
from domain.errors import IdempotencyConflict
from domain.money import FUN, XTR, CurrencyRegistry, Money
from domain.rakeback import (
    DailyBonusPolicy,
    NothingToClaim,
    RakebackClaim,
    RakebackPolicy,
)
from domain.vip import DEFAULT_LADDER
from tests.conftest import race
from tests.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

RAKEBACK = RakebackPolicy(DEFAULT_LADDER, {"XTR": 10**9})
DAILY = DailyBonusPolicy(Money(100_00, FUN), Money(10**12, FUN))


@pytest.fixture
def later():
    # Past the settlement grace, so the bets just placed are in a claim's period.
    return FakeClock(datetime.now(UTC) + timedelta(minutes=2))


@pytest.fixture
def claim(uow_factory, later, ids, house):
    return ClaimRakeback(uow_factory, later, ids, RAKEBACK, house)


async def _played(funded_player, place, stakes: list[int]) -> tuple[int, Fraction]:
    """A player who played coin flips of these stakes; their exact stake x edge."""
    player = await funded_player(sum(stakes))
    edge = Fraction(0)
    for stake in stakes:
        receipt = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"})
        )
        edge += stake * receipt.bet.house_edge
    return player.id, edge


async def _wallet(engine, player_id: int, currency: str = "XTR") -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT balance FROM accounts WHERE player_id = :p AND currency = :c"
                    " AND kind = 'player_wallet'"
                ),
                {"p": player_id, "c": currency},
            )
        ).scalar_one()


async def test_a_claim_pays_once_through_the_books_and_the_budget(
    funded_player, place, claim, engine, uow_factory, later
):
    player, edge = await _played(funded_player, place, [2_000, 2_000, 2_000])
    before = await _wallet(engine, player)
    paid = await claim(player, XTR, uuid.uuid4())
    # 6,000 ⭐ in the window: Silver, 10% of the edge, floored once.
    assert (paid.level, paid.wagered) == ("Silver", Money(6_000, XTR))
    assert paid.amount == Money(math.floor(edge / 10), XTR)
    assert await _wallet(engine, player) == before + paid.amount.amount
    async with uow_factory() as uow:
        assert await uow.vip.claim(paid.id) == paid
        assert (await uow.budgets.get("rakeback-xtr")).spent >= paid.amount
        posted = await uow.ledger.get(paid.transaction_id)
    assert posted.idempotency_key == f"promotion:rakeback:{paid.id}"
    status = await GetVipStatus(uow_factory, later, RAKEBACK, DAILY, CurrencyRegistry())(player)
    assert (status.progress.level.name, status.claimable) == ("Silver", (Money(0, XTR),))


async def test_concurrent_claims_pay_once(funded_player, place, claim, engine):
    player, _ = await _played(funded_player, place, [3_000, 3_000])
    before = await _wallet(engine, player)
    results = await race(10, lambda i: claim(player, XTR, uuid.uuid4()))
    paid = [r for r in results if isinstance(r, RakebackClaim)]
    refused = [r for r in results if isinstance(r, NothingToClaim)]
    assert (len(paid), len(refused)) == (1, 9), results
    assert await _wallet(engine, player) == before + paid[0].amount.amount
    # Ten double taps of one claim id: one claim, the others its answer.
    player2, _ = await _played(funded_player, place, [3_000])
    claim_id = uuid.uuid4()
    taps = await race(10, lambda i: claim(player2, XTR, claim_id))
    assert all(isinstance(t, RakebackClaim) for t in taps), taps
    assert len({(t.id, t.transaction_id, t.amount) for t in taps}) == 1


async def test_the_chain_refuses_a_second_claim_after_the_same_one(
    funded_player, place, claim, uow_factory
):
    # What the lock prevents, the table refuses too: two claims after the same previous one.
    player, _ = await _played(funded_player, place, [3_000])
    first = await claim(player, XTR, uuid.uuid4())
    async with uow_factory() as uow:
        twin = replace(first, id=uuid.uuid4(), transaction_id=first.transaction_id)
        with pytest.raises(IdempotencyConflict):
            await uow.vip.add_claim(twin)
    async with uow_factory() as uow:  # the refused insert kept nothing
        assert await uow.vip.last_claim(player, XTR) == first


async def test_the_daily_bonus_pays_once_however_many_taps_race(
    new_player, uow_factory, later, ids, house, engine
):
    player = (await new_player()).id
    daily = ClaimDailyBonus(uow_factory, later, ids, DAILY, house)
    results = await race(8, lambda i: daily(player))
    assert sorted(r.paid is not None for r in results) == [False] * 7 + [True], results
    assert await _wallet(engine, player, "FUN") == 100_00
    async with uow_factory() as uow:
        assert (await uow.budgets.get("daily-fun")).spent.currency == FUN


async def test_the_turnover_read_is_a_range_scan_of_the_players_settled_bets(engine):
    # The level and every claim read through the index of revision 0039; with sequential
    # scans priced out, a plan that cannot use it would still show a Seq Scan.
    from adapters.postgres.vip import TURNOVER

    now = datetime.now(UTC)
    params = {"player": 1, "currency": "XTR", "since": now - timedelta(days=30), "until": now}
    async with engine.connect() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = (await conn.execute(text(f"EXPLAIN {TURNOVER.text}"), params)).scalars().all()
    assert any("ix_bets_player_settled" in line for line in plan), plan
    assert not any("Seq Scan" in line for line in plan), plan
