"""The stake controls' arithmetic (`domain.stakes.StakeRange`): ½, ×2, min and max stay inside
the game's limits and the balance, at both ends; an amount out of range says why."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.games.catalog import StakeLimits
from domain.money import XTR, Money
from domain.stakes import StakeProblem, StakeRange, StakeStep

GAME = StakeLimits(5, 500, 50_000)


def _range(balance: int, limits: StakeLimits = GAME) -> StakeRange:
    return StakeRange(limits, Money(balance, XTR))


@pytest.mark.parametrize(
    ("balance", "stake", "step", "expected"),
    [
        (1000, 100, StakeStep.HALF, 50),
        (1000, 11, StakeStep.HALF, 5),  # rounds down
        (1000, 5, StakeStep.HALF, 5),  # never under the game's minimum
        (1000, 9, StakeStep.HALF, 5),  # 4 would be under it
        (1000, 100, StakeStep.DOUBLE, 200),
        (1000, 300, StakeStep.DOUBLE, 500),  # the game's maximum
        (120, 100, StakeStep.DOUBLE, 120),  # the balance
        (120, 120, StakeStep.DOUBLE, 120),
        (1000, 100, StakeStep.MIN, 5),
        (1000, 100, StakeStep.MAX, 500),
        (77, 10, StakeStep.MAX, 77),  # the balance, under the game's maximum
        (1000, 999_999, StakeStep.HALF, 250),  # a forged stake counts as the largest allowed
        (1000, -40, StakeStep.DOUBLE, 10),  # ... or the smallest
        (1000, 0, StakeStep.HALF, 5),
    ],
)
def test_each_control_at_the_bounds(balance, stake, step, expected):
    assert _range(balance).step(stake, step) == expected


def test_the_range_ends_at_the_balance_or_the_games_maximum():
    assert (_range(120).low, _range(120).high, _range(120).capped_by_balance) == (5, 120, True)
    assert (_range(9000).high, _range(9000).capped_by_balance) == (500, False)
    assert _range(5).playable
    assert not _range(4).playable  # under the smallest stake: nothing to offer
    assert not _range(0).playable


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (0, StakeProblem.BELOW_MIN),
        (-5, StakeProblem.BELOW_MIN),
        (4, StakeProblem.BELOW_MIN),
        (5, None),
        (120, None),
        (121, StakeProblem.ABOVE_BALANCE),
        (501, StakeProblem.ABOVE_MAX),
        (10**12, StakeProblem.ABOVE_MAX),
    ],
)
def test_an_amount_out_of_range_says_why(amount, problem):
    assert _range(120).problem(amount) is problem


@given(
    balance=st.integers(0, 10**6),
    stake=st.integers(-(10**9), 10**9),
    step=st.sampled_from(StakeStep),
)
def test_a_control_never_offers_more_than_the_balance_or_outside_the_limits(balance, stake, step):
    stakes = _range(balance)
    after = stakes.step(stake, step)
    if stakes.playable:
        assert GAME.min_stake <= after <= min(GAME.max_stake, balance)
        assert stakes.problem(after) is None
