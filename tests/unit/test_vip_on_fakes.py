"""VIP status, rakeback claims and the daily play-money bonus on in-memory fakes: the level
from settled bets in the window, a claim paying stake x edge x share floored once, a repeat of
a claim id answering the first claim, the watermark, the lapse after the window, the budget,
and the protections (a player on a break sees and claims nothing). The race of two claims is
tested on PostgreSQL (tests/integration/test_vip_claims.py)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

import pytest

from application.responsible import StartTimeout
from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus
from domain.accounts import AccountKind
from domain.bets import Bet, BetState
from domain.errors import IdempotencyConflict
from domain.events import TransactionPosted
from domain.money import FUN, XTR, CurrencyRegistry, Money
from domain.promotions import BudgetExhausted
from domain.rakeback import DailyBonusPolicy, NothingToClaim, RakebackPolicy
from domain.responsible import ResponsibleGamblingRefusal, TimeoutPeriod
from domain.vip import DEFAULT_LADDER
from tests.casino_on_fakes import Casino

RAKEBACK = RakebackPolicy(DEFAULT_LADDER, {"XTR": 1_000_000})
DAILY = DailyBonusPolicy(Money(100_00, FUN), Money(250_00, FUN))


@pytest.fixture
async def casino() -> tuple[Casino, int, Bet]:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(7, deposit=1_000)
    template = (await casino.coin(player, 10)).bet
    del casino.db.state.bets[template.id]  # a shape to copy, not a bet of the tests
    return casino, player, template


def settle(casino: Casino, template: Bet, stake: int, edge: Fraction, **ago: float) -> None:
    """A settled bet of `stake` ⭐ at `edge`, settled `ago` before the clock's now."""
    at = casino.clock.now() - timedelta(**ago)
    bet = replace(
        template,
        id=uuid.uuid4(),
        stake=Money(stake, XTR),
        house_edge=edge,
        placed_at=at,
        settled_at=at,
    )
    casino.db.state.bets[bet.id] = bet


def claim(casino: Casino) -> ClaimRakeback:
    return ClaimRakeback(casino.db, casino.clock, casino.ids, RAKEBACK, casino.house)


def wallet(casino: Casino, player: int, currency=XTR) -> int:
    (account,) = [
        a
        for a in casino.db.state.accounts.values()
        if a.player_id == player and a.currency == currency and a.kind is AccountKind.PLAYER_WALLET
    ]
    return account.balance


async def test_a_claim_pays_stake_times_edge_times_the_level_share_once(casino) -> None:
    casino_, player, template = casino
    # 6,000 ⭐ wagered in the window: Silver (10%). 6,000 x 2% x 10% = 12 ⭐.
    for _ in range(6):
        settle(casino_, template, 1_000, Fraction(2, 100), hours=5)
    before = wallet(casino_, player)
    claim_id = uuid.uuid4()
    paid = await claim(casino_)(player, XTR, claim_id)
    assert (paid.amount, paid.level, paid.wagered) == (Money(12, XTR), "Silver", Money(6_000, XTR))
    assert wallet(casino_, player) == before + 12
    assert casino_.db.state.budgets["rakeback-xtr"].spent == Money(12, XTR)
    assert [type(e) for e in casino_.db.state.events[-1:]] == [TransactionPosted]
    # A repeat of the claim id answers the first claim and pays nothing more.
    assert await claim(casino_)(player, XTR, claim_id) == paid
    assert wallet(casino_, player) == before + 12
    # A new claim right after finds nothing: the watermark moved past every bet.
    with pytest.raises(NothingToClaim):
        await claim(casino_)(player, XTR, uuid.uuid4())
    # Another player's (or currency's) use of the claim id is a conflict, not the claim.
    other = await casino_.player(8)
    with pytest.raises(IdempotencyConflict):
        await claim(casino_)(other, XTR, claim_id)


async def test_bets_after_the_watermark_accrue_for_the_next_claim(casino) -> None:
    casino_, player, template = casino
    settle(casino_, template, 1_000, Fraction(3, 100), hours=2)  # 30 ⭐ edge, Bronze 5%: 1.5
    first = await claim(casino_)(player, XTR, uuid.uuid4())
    assert first.amount == Money(1, XTR)  # floored: the half star is not carried
    casino_.clock.advance(hours=1)
    settle(casino_, template, 2_000, Fraction(3, 100), minutes=30)  # 60 ⭐ edge
    # Settled within the grace minute: counted by the next claim, not this one; but the level
    # is the player's now: 12,000 ⭐ wagered in the window is Silver (10%).
    settle(casino_, template, 9_000, Fraction(3, 100), seconds=10)
    second = await claim(casino_)(player, XTR, uuid.uuid4())
    assert (second.previous, second.since) == (first.id, first.until)
    assert (second.level, second.amount) == ("Silver", Money(6, XTR))
    casino_.clock.advance(minutes=2)
    third = await claim(casino_)(player, XTR, uuid.uuid4())
    # 9,000 x 3% x 10% = 27 ⭐.
    assert (third.level, third.amount) == ("Silver", Money(27, XTR))


async def test_rakeback_older_than_the_window_lapses_and_voids_count_nothing(casino) -> None:
    casino_, player, template = casino
    settle(casino_, template, 100_000, Fraction(2, 100), days=31)
    voided = replace(template, id=uuid.uuid4(), state=BetState.VOIDED, outcome=None, payout=None)
    casino_.db.state.bets[voided.id] = voided
    with pytest.raises(NothingToClaim):
        await claim(casino_)(player, XTR, uuid.uuid4())
    with pytest.raises(Exception, match="no rakeback is paid in FUN"):
        await claim(casino_)(player, FUN, uuid.uuid4())


async def test_a_claim_stops_at_the_budget(casino) -> None:
    casino_, player, template = casino
    settle(casino_, template, 1_000, Fraction(2, 100), hours=1)  # 1 ⭐ at Bronze
    tight = RakebackPolicy(DEFAULT_LADDER, {"XTR": 0})
    with pytest.raises(BudgetExhausted):
        await ClaimRakeback(casino_.db, casino_.clock, casino_.ids, tight, casino_.house)(
            player, XTR, uuid.uuid4()
        )
    assert casino_.db.state.rakeback_claims == {}


async def test_a_player_on_a_break_claims_and_sees_nothing(casino) -> None:
    casino_, player, template = casino
    settle(casino_, template, 10_000, Fraction(2, 100), hours=1)
    await StartTimeout(casino_.db, casino_.clock)(player, TimeoutPeriod("24h"))
    status = GetVipStatus(casino_.db, casino_.clock, RAKEBACK, DAILY, CurrencyRegistry())
    for call in (
        claim(casino_)(player, XTR, uuid.uuid4()),
        status(player),
        ClaimDailyBonus(casino_.db, casino_.clock, casino_.ids, DAILY, casino_.house)(player),
    ):
        with pytest.raises(ResponsibleGamblingRefusal):
            await call
    assert casino_.db.state.rakeback_claims == {}
    casino_.clock.advance(hours=24, seconds=1)
    # After the break the bets before it are still within the window: claimable.
    assert (await claim(casino_)(player, XTR, uuid.uuid4())).amount == Money(20, XTR)


async def test_the_status_shows_level_progress_claimable_and_the_daily_bonus(casino) -> None:
    casino_, player, template = casino
    settle(casino_, template, 3_200, Fraction(1, 100), hours=3)  # 32 ⭐ edge, 5%: 1.6
    status = await GetVipStatus(casino_.db, casino_.clock, RAKEBACK, DAILY, CurrencyRegistry())(
        player
    )
    assert (status.progress.level.name, status.progress.to_next) == ("Bronze", Money(1_800, XTR))
    assert status.claimable == (Money(1, XTR),)
    assert (status.daily_bonus, status.daily_taken, status.window_days) == (
        Money(100_00, FUN),
        False,
        30,
    )


async def test_the_daily_bonus_pays_once_a_utc_day_within_its_budget(casino) -> None:
    casino_, player, _ = casino
    daily = ClaimDailyBonus(casino_.db, casino_.clock, casino_.ids, DAILY, casino_.house)
    first = await daily(player)
    assert first.paid == Money(100_00, FUN)
    assert wallet(casino_, player, FUN) == 100_00
    again = await daily(player)
    assert (again.paid, again.next_at) == (None, first.next_at)
    status = GetVipStatus(casino_.db, casino_.clock, RAKEBACK, DAILY, CurrencyRegistry())
    assert (await status(player)).daily_taken
    casino_.clock.current = first.next_at
    assert (await daily(player)).paid == Money(100_00, FUN)
    casino_.clock.advance(days=1)
    with pytest.raises(BudgetExhausted):  # 250 FUN: two bonuses of 100, not a third
        await daily(player)
    assert wallet(casino_, player, FUN) == 200_00
    assert casino_.db.state.budgets["daily-fun"].spent == Money(200_00, FUN)
