"""Plinko in the outcome monitor (its slots are binomial, and its drops have 8-16 rows), the
risk scan's payout distribution and the RTP report's variance."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from domain.games.base import Selection
from domain.games.plinko import MAX_ROWS, MIN_ROWS, REFERENCE_EDGE, RISKS, Plinko, drop
from domain.outcome_tests import check_outcomes, outcome_counting, theoretical_bins
from domain.reports import _moments
from domain.risk import multiplier_distribution

PLINKO = Plinko()


def _monitored(paths: list[int]) -> list[int]:
    """What the reports do: count by the counting's ranges (a modulus first), then fold."""
    counting = outcome_counting("plinko")
    assert counting.modulus is not None
    counts = [0] * len(counting.edges)
    for path in paths:
        value = path % counting.modulus
        counts[max(i for i, low in enumerate(counting.edges) if low <= value)] += 1
    return counting.fold(counts)


def _drops(rng: random.Random, n: int, right: float = 0.5) -> list[int]:
    """Drops of every row count, mixed, from a stream whose rows go right with `right`."""

    def words():
        while True:
            yield (1 << 31 if rng.random() < right else 0) | rng.getrandbits(31)

    stream = words()
    return [drop(stream, rng.randint(MIN_ROWS, MAX_ROWS)) for _ in range(n)]


def test_plinko_bins_are_the_binomial_slots_of_the_first_rows():
    bins = theoretical_bins("plinko")
    assert [b.probability for b in bins] == [
        Fraction(c, 256) for c in (1, 8, 28, 56, 70, 56, 28, 8, 1)
    ]
    assert bins[0].label == "slot 0 of the first 8 rows"
    counting = outcome_counting("plinko")
    assert counting.modulus == 256
    assert counting.fold([1] * 256) == [1, 8, 28, 56, 70, 56, 28, 8, 1]


def test_other_games_are_counted_as_before():
    counting = outcome_counting("dice")
    assert counting.modulus is None
    assert counting.edges == tuple(b.low for b in theoretical_bins("dice"))
    assert counting.fold(list(range(len(counting.edges)))) == list(range(len(counting.edges)))


def test_fair_drops_of_mixed_rows_pass():
    drops = _drops(random.Random("fair-plinko"), 20_000)
    result = check_outcomes("plinko", _monitored(drops), alpha=0.001)
    assert result.test is not None
    assert result.test.dof == 8
    assert result.test.p_value > 0.001
    assert not result.alert


def test_a_ball_that_leans_right_is_detected():
    drops = _drops(random.Random("leaning-plinko"), 20_000, right=0.52)
    result = check_outcomes("plinko", _monitored(drops), alpha=0.001)
    assert result.alert


@pytest.mark.parametrize("rows", range(MIN_ROWS, MAX_ROWS + 1))
@pytest.mark.parametrize("risk", RISKS)
def test_the_risk_scan_prices_every_slot(rows: int, risk: str):
    selection = Selection(risk, rows)
    distribution = multiplier_distribution("plinko", selection, REFERENCE_EDGE)
    assert sum(p for _, p in distribution) == 1
    assert sum(m * p for m, p in distribution) == PLINKO.rtp(selection, REFERENCE_EDGE)
    # one point per distinct multiplier (a table pays each twice, left and right)
    assert len(distribution) == len(set(PLINKO.table(selection, REFERENCE_EDGE)))


def test_the_rtp_report_uses_the_exact_variance():
    selection = Selection("high", 16)
    moments = _moments("plinko", selection, REFERENCE_EDGE)
    distribution = PLINKO.distribution(selection, REFERENCE_EDGE)
    rtp = PLINKO.rtp(selection, REFERENCE_EDGE)
    assert moments.variance == sum(p * m * m for m, p in distribution) - rtp * rtp
    # far below the one-multiplier bound M·rtp − rtp² (1000x), so drift can show
    assert moments.variance < (1000 * rtp - rtp * rtp) / 10
