"""VIP levels and rakeback arithmetic: the ladder, the level a volume reaches, the progress to
the next, the claim period and the rounding (floored once per claim), with properties: a
claim never pays more than wagered x edge x the top share, and claims sum to what accrued
less under one minor unit a claim."""

from __future__ import annotations

import itertools
import math
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidField
from domain.money import FUN, TON, XTR, Money
from domain.rakeback import (
    SETTLE_GRACE,
    DailyBonusPolicy,
    RakebackClaim,
    RakebackPolicy,
    Turnover,
    claim_period,
    daily_bonus_key,
    next_daily_bonus,
    rakeback_budget,
)
from domain.vip import DEFAULT_LADDER, VipLadder, VipLevel, parse_levels, written_levels

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def stars(n: int) -> Money:
    return Money(n, XTR)


def test_the_default_ladder_is_bronze_silver_gold() -> None:
    names = [DEFAULT_LADDER.level_for(stars(n)).name for n in (0, 4_999, 5_000, 49_999, 50_000)]
    assert names == ["Bronze", "Bronze", "Silver", "Silver", "Gold"]
    assert DEFAULT_LADDER.top_share == Fraction(15, 100)


def test_progress_says_how_much_more_reaches_the_next_level() -> None:
    progress = DEFAULT_LADDER.progress(stars(3_200))
    assert (progress.level.name, progress.next_level and progress.next_level.name) == (
        "Bronze",
        "Silver",
    )
    assert progress.to_next == stars(1_800)
    top = DEFAULT_LADDER.progress(stars(80_000))
    assert (top.level.name, top.next_level, top.to_next) == ("Gold", None, None)


def test_levels_parse_from_a_setting_and_print_back() -> None:
    levels = parse_levels("Bronze:0:5, Silver:5000:10,Gold:50000:12.5")
    assert [(lv.name, lv.threshold, lv.share) for lv in levels] == [
        ("Bronze", 0, Fraction(1, 20)),
        ("Silver", 5000, Fraction(1, 10)),
        ("Gold", 50000, Fraction(1, 8)),
    ]
    assert written_levels(levels) == "Bronze:0:5,Silver:5000:10,Gold:50000:12.5"
    assert parse_levels(written_levels(DEFAULT_LADDER.levels)) == DEFAULT_LADDER.levels


@pytest.mark.parametrize(
    "text",
    [
        "Bronze:100:5",  # the first level must start at 0
        "Bronze:0:5,Silver:0:10",  # thresholds rise strictly
        "Bronze:0:10,Silver:10:5",  # shares never fall
        "Bronze:0:5,Bronze:10:6",  # names are unique
        "Bronze:0:150",  # a share is at most 100%
        "Bronze:0",
        "Bronze:x:5",
        "Bronze:0:five",
    ],
)
def test_a_bad_ladder_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidField):
        VipLadder(XTR, timedelta(days=30), parse_levels(text))


def test_rakeback_is_stake_times_edge_times_share_floored_once() -> None:
    # Three bets of 1,000 ⭐ at a 2% edge: 60 ⭐ of edge; Silver's 10% is 6 ⭐.
    turnover = Turnover(stars(3_000), Fraction(3 * 1_000 * 2, 100), 3)
    assert turnover.rakeback(Fraction(10, 100)) == stars(6)
    # 7 bets of 10 ⭐ at 1%: 0.7 ⭐ of edge, 5% of it is 0.035 ⭐: floored to nothing.
    assert Turnover(stars(70), Fraction(7, 10), 7).rakeback(Fraction(5, 100)) == stars(0)
    # Floored once over the sum, not per bet: 3 bets each worth 0.4 ⭐ pay 1 ⭐, not 0.
    assert Turnover(stars(3_000), Fraction(12, 1), 3).rakeback(Fraction(1, 10)) == stars(1)
    # TON has 9 decimals: 0.5 TON at a 1% edge, Gold's 15%: 750,000 nano-TON.
    half_ton = 500_000_000
    assert Turnover(Money(half_ton, TON), Fraction(half_ton, 100), 1).rakeback(
        Fraction(15, 100)
    ) == Money(750_000, TON)


def test_the_claim_period_runs_from_the_watermark_to_now_less_the_grace() -> None:
    window = timedelta(days=30)
    first = claim_period(None, NOW, window)
    assert (first.since, first.until) == (NOW - window, NOW - SETTLE_GRACE)
    previous = RakebackClaim(
        id=uuid.uuid4(),
        player_id=1,
        amount=stars(5),
        wagered=stars(100),
        since=NOW - timedelta(days=3),
        until=NOW - timedelta(days=2),
        level="Bronze",
        share=Fraction(1, 20),
        previous=None,
        transaction_id=uuid.uuid4(),
        claimed_at=NOW - timedelta(days=2),
    )
    after = claim_period(previous, NOW, window)
    assert (after.since, after.until) == (previous.until, NOW - SETTLE_GRACE)
    # Rakeback older than the window lapses: a period never starts before the window.
    assert claim_period(previous, NOW + timedelta(days=60), window).since == NOW + timedelta(
        days=30
    )
    assert claim_period(previous, previous.until + SETTLE_GRACE, window).is_empty


def test_budgets_daily_keys_and_policies() -> None:
    assert rakeback_budget(XTR) == "rakeback-xtr"
    assert daily_bonus_key(42, NOW.date()) == "42:2026-12-03"
    assert next_daily_bonus(NOW) == datetime(2026, 12, 4, tzinfo=UTC)
    policy = RakebackPolicy(DEFAULT_LADDER, {"XTR": 1_000_000})
    assert policy.pays_in(XTR)
    assert not policy.pays_in(FUN)
    assert policy.budget_total(XTR) == stars(1_000_000)
    with pytest.raises(InvalidField):
        policy.budget_total(FUN)
    with pytest.raises(InvalidField):
        DailyBonusPolicy(Money(100_00, FUN), stars(10))


_bets = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=10**9),  # stake, minor units
        st.fractions(min_value=0, max_value=Fraction(99, 100), max_denominator=10**6),  # edge
    ),
    max_size=40,
)


@given(_bets, st.integers(min_value=0, max_value=len(DEFAULT_LADDER.levels) - 1))
def test_a_claim_never_pays_more_than_wagered_times_edge_times_the_top_share(
    bets: list[tuple[int, Fraction]], level: int
) -> None:
    turnover = Turnover(
        stars(sum(s for s, _ in bets)), sum((s * e for s, e in bets), Fraction()), 0
    )
    paid = turnover.rakeback(DEFAULT_LADDER.levels[level].share).amount
    assert 0 <= paid <= turnover.edge * DEFAULT_LADDER.top_share
    assert paid <= turnover.wagered.amount * DEFAULT_LADDER.top_share


@given(_bets, st.lists(st.integers(min_value=0, max_value=40), max_size=6))
def test_claims_sum_to_what_accrued_less_under_a_unit_each(
    bets: list[tuple[int, Fraction]], cuts: list[int]
) -> None:
    # The bets split into consecutive claims at `cuts`: every bet is paid by exactly one
    # claim, and each claim loses less than one minor unit to the floor.
    share = Fraction(1, 10)
    bounds = sorted({0, len(bets), *(min(c, len(bets)) for c in cuts)})
    claims = [bets[a:b] for a, b in itertools.pairwise(bounds)]
    paid = [
        Turnover(stars(sum(s for s, _ in c)), sum((s * e for s, e in c), Fraction()), len(c))
        .rakeback(share)
        .amount
        for c in claims
    ]
    accrued = sum((s * e * share for s, e in bets), Fraction())
    assert sum(paid) <= accrued < sum(paid) + max(len(claims), 1)
    assert sum(paid) >= math.floor(accrued) - len(claims)


def test_a_level_is_named_and_shares_a_sane_part_of_the_edge() -> None:
    with pytest.raises(InvalidField):
        VipLevel("", 0, Fraction(0))
    with pytest.raises(InvalidField):
        VipLevel("Bronze", -1, Fraction(0))
