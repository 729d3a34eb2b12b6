"""The outcome monitor covers crash by its rounds' crash points (issue 21): the bins follow
P(crash >= m) = (1 - edge) / m, a fair chain passes and a derivation without the edge is
caught (a fixed chain: no flakes)."""

from __future__ import annotations

import hashlib
import hmac
from fractions import Fraction

import pytest

from domain.crash import MAX_MULTIPLIER, R_SPACE, crash_point, links, probability_at_least
from domain.outcome_tests import check_outcomes, outcome_counting, theoretical_bins

SALT = "monitor-salt"
ROUNDS = 20_000


def _points(derive) -> list[int]:
    return [derive(link, SALT) for link in links(hashlib.sha256(b"monitor").hexdigest(), ROUNDS)]


def _counts(points: list[int]) -> list[int]:
    lows = outcome_counting("crash").edges
    counts = [0] * len(lows)
    for point in points:
        counts[max(i for i, low in enumerate(lows) if low <= point)] += 1
    return counts


def _without_the_edge(round_hash: str, salt: str) -> int:
    """A broken derivation: 100 N / (N - r), so P(crash >= m) = 1 / m (no 1% for the house)."""
    digest = hmac.new(salt.encode(), round_hash.encode(), hashlib.sha256).hexdigest()
    r = int(digest[:13], 16)
    return min(max(100, 100 * R_SPACE // (R_SPACE - r)), MAX_MULTIPLIER)


@pytest.mark.parametrize("multiplier", [101, 150, 200, 1000, 10_000])
def test_the_bins_follow_one_minus_the_edge_over_m(multiplier):
    exact = Fraction(99, multiplier)  # (1 - 1%) / (m / 100)
    assert abs(probability_at_least(multiplier) - exact) < Fraction(1, 10**12)
    assert sum(b.probability for b in theoretical_bins("crash")) == 1


def test_a_fair_chain_passes():
    result = check_outcomes("crash", _counts(_points(crash_point)), alpha=0.001)
    assert result.bets == ROUNDS + 1
    assert result.test is not None
    assert result.test.p_value > 0.01
    assert not result.alert


def test_a_chain_without_the_edge_is_caught():
    result = check_outcomes("crash", _counts(_points(_without_the_edge)), alpha=0.001)
    assert result.alert
    assert result.test is not None
    assert result.test.p_value < 1e-6
