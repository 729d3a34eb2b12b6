"""Referral commission arithmetic (domain.referrals): the basis, the share, the cap, what is
left out, the periods, and the codes in a deep link."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import InvalidRequest
from domain.referrals import (
    CommissionBasis,
    CommissionOutcome,
    CommissionSettlement,
    Exclusion,
    ReferralPeriod,
    ReferralPolicy,
    ReferredActivity,
    Window,
    budget_code,
    commission,
    commission_key,
    group_by_referrer,
    referral_code_from_start,
    referral_link,
)

NGR_20 = ReferralPolicy(share_bps=2_000, caps={"XTR": 10_000})
DEPOSITS_5 = ReferralPolicy(CommissionBasis.DEPOSITS, share_bps=500, caps={"XTR": 10_000})


def played(referred: int, stakes: int, payouts: int, deposits: int = 0, *shared: str):
    return ReferredActivity(1, referred, "XTR", stakes, payouts, deposits, tuple(shared))


def test_ngr_is_stakes_less_payouts_times_the_share_rounded_down() -> None:
    # 1,000 staked, 650 paid back: 350 NGR; 20% is 70.
    quote = commission(NGR_20, 1, "XTR", [played(2, 1_000, 650)])
    assert (quote.base, quote.uncapped, quote.amount) == (350, 70, 70)
    # 20% of 333 is 66.6: the referrer gets 66, never a fraction of a Star.
    assert commission(NGR_20, 1, "XTR", [played(2, 1_000, 667)]).amount == 66


def test_ngr_nets_the_referred_players_and_never_goes_below_zero() -> None:
    # One referred player lost 500, the other won 800 (stakes 200, payouts 1,000): the house
    # lost 300 on them together, so the referrer earns nothing (and owes nothing).
    quote = commission(NGR_20, 1, "XTR", [played(2, 500, 0), played(3, 200, 1_000)])
    assert (quote.base, quote.amount) == (0, 0)
    # Two accounts playing against each other earn nothing either.
    mirrored = commission(NGR_20, 1, "XTR", [played(2, 1_000, 0), played(3, 1_000, 2_000)])
    assert mirrored.amount == 0


def test_deposits_basis_pays_a_share_of_deposits_whatever_was_won() -> None:
    quote = commission(DEPOSITS_5, 1, "XTR", [played(2, 0, 0, 4_000), played(3, 10, 90, 1_000)])
    assert (quote.base, quote.amount) == (5_000, 250)


def test_the_cap_bounds_one_referrer_in_one_period() -> None:
    quote = commission(NGR_20, 1, "XTR", [played(2, 80_000, 10_000)])
    assert (quote.uncapped, quote.amount, quote.capped) == (14_000, 10_000, True)


def test_a_currency_without_a_cap_earns_nothing() -> None:
    fun = ReferredActivity(1, 2, "FUN", 1_000, 0, 0)
    quote = commission(NGR_20, 1, "FUN", [fun])
    assert (quote.uncapped, quote.cap, quote.amount) == (200, None, 0)


def test_abusive_and_protected_referred_players_are_left_out() -> None:
    activities = [played(2, 1_000, 0, 0, "ab" * 32), played(3, 1_000, 0), played(4, 500, 0)]
    quote = commission(NGR_20, 1, "XTR", activities, {3: Exclusion.PROTECTED})
    assert quote.counted == (4,)
    assert dict(quote.excluded) == {2: Exclusion.ABUSE, 3: Exclusion.PROTECTED}
    assert (quote.base, quote.amount) == (500, 100)


def test_a_commission_is_of_one_referrer_and_currency_and_of_real_figures() -> None:
    with pytest.raises(InvalidRequest):
        commission(NGR_20, 9, "XTR", [played(2, 10, 0)])
    with pytest.raises(InvalidRequest):
        commission(NGR_20, 1, "XTR", [played(2, -10, 0)])
    with pytest.raises(InvalidRequest):
        ReferralPolicy(share_bps=10_001)
    with pytest.raises(InvalidRequest):
        ReferralPolicy(caps={"XTR": 0})


def test_periods_are_utc_days_or_iso_weeks_and_only_complete_ones_are_settled() -> None:
    tuesday = datetime(2026, 11, 24, 12, 30, tzinfo=UTC)
    day = ReferralPeriod.DAY.window(tuesday)
    assert (day.start, day.end) == (
        datetime(2026, 11, 24, tzinfo=UTC),
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    week = ReferralPeriod.WEEK.window(tuesday)
    assert (week.start, week.end) == (
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
    )
    complete = ReferralPeriod.DAY.complete(tuesday, 2)
    assert complete == [
        Window(datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
        Window(datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)),
    ]
    assert ReferralPeriod.WEEK.complete(tuesday, 1)[0].end == week.start


def test_grouping_keys_and_budget_are_per_referrer_period_and_currency() -> None:
    a = ReferredActivity(7, 2, "XTR", 1, 0, 0)
    b = ReferredActivity(5, 3, "TON", 1, 0, 0)
    c = ReferredActivity(5, 4, "TON", 1, 0, 0)
    assert list(group_by_referrer([a, c, b])) == [(5, "TON"), (7, "XTR")]
    start = datetime(2026, 11, 23, tzinfo=UTC)
    assert commission_key(5, start, "TON") == "5:2026-11-23:TON"
    assert budget_code("XTR") == "referral-xtr"


def test_a_settlement_pays_with_a_journal_entry_or_not_at_all() -> None:
    window = ReferralPeriod.DAY.window(datetime(2026, 11, 24, tzinfo=UTC))
    quote = commission(NGR_20, 1, "XTR", [played(2, 1_000, 0)])
    at = window.end
    assert CommissionSettlement(quote, window, CommissionOutcome.WITHHELD, at).amount == 0
    assert CommissionSettlement(quote, window, CommissionOutcome.PAID, at, uuid.uuid4()).amount
    with pytest.raises(InvalidRequest):
        CommissionSettlement(quote, window, CommissionOutcome.PAID, at)
    with pytest.raises(InvalidRequest):
        CommissionSettlement(quote, window, CommissionOutcome.NOTHING, at)


def test_only_a_ref_payload_carries_a_code() -> None:
    assert referral_code_from_start("ref_a1b2c3d4e5") == "a1b2c3d4e5"
    assert referral_code_from_start(" ref_a1b2c3d4e5 ") == "a1b2c3d4e5"
    assert referral_code_from_start("a1b2c3d4e5") is None
    assert referral_code_from_start("ref_") is None
    assert referral_code_from_start(None) is None
    assert referral_link("croupier_bot", "a1b2c3d4e5") == (
        "https://t.me/croupier_bot?start=ref_a1b2c3d4e5"
    )


def test_the_example_of_docs_bonuses() -> None:
    # docs/bonuses.md, "Referrals": Ann's friends Bob, Cleo and Dan (who shares Ann's payer).
    bob, cleo = played(2, 12_000, 7_500, 2_000), played(3, 3_000, 4_200, 500)
    dan = played(4, 9_000, 0, 1_000, "cd" * 32)
    quote = commission(NGR_20, 1, "XTR", [bob, cleo, dan])
    assert (quote.base, quote.amount, dict(quote.excluded)) == (3_300, 660, {4: Exclusion.ABUSE})
    big_loser = played(2, 60_000, 0)
    capped = commission(NGR_20, 1, "XTR", [big_loser, cleo, dan])
    assert (capped.base, capped.uncapped, capped.amount) == (58_800, 11_760, 10_000)
    quote = commission(DEPOSITS_5, 1, "XTR", [bob, cleo, dan])
    assert (quote.base, quote.amount) == (2_500, 125)
