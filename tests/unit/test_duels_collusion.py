"""The collusion rule in numbers: the binomial tail of one-sided results, and pairs who duel
only each other."""

from __future__ import annotations

from fractions import Fraction

import pytest

from domain.duels_collusion import CollusionPolicy, PairRecord, collusion_finding, one_sided_tail
from domain.errors import InvalidRequest

POLICY = CollusionPolicy()  # 10 duels, p < 1/500, 90% of each one's duels


def test_the_tail_is_exact() -> None:
    assert one_sided_tail(10, 10) == Fraction(1, 1024)
    assert one_sided_tail(9, 10) == Fraction(11, 1024)
    assert one_sided_tail(12, 13) == Fraction(14, 8192)
    assert one_sided_tail(0, 5) == 1


@pytest.mark.parametrize(
    ("a_wins", "b_wins", "flagged"),
    [(0, 10, True), (1, 9, False), (1, 12, True), (3, 7, False), (2, 6, False)],
)
def test_one_sided_results(a_wins: int, b_wins: int, flagged: bool) -> None:
    # Each also plays many others: only the one-sided pattern can fire.
    record = PairRecord(1, 2, a_wins + b_wins, a_wins, b_wins, 100, 100)
    finding = collusion_finding(record, POLICY)
    assert (finding is not None) == flagged
    if finding is not None:
        player, evidence = finding
        assert (player, evidence["pattern"], evidence["opponent_id"]) == (2, "one_sided", 1)


def test_a_pair_who_duel_only_each_other_is_flagged_even_when_even() -> None:
    record = PairRecord(1, 2, 12, 6, 6, 12, 13)
    player, evidence = collusion_finding(record, POLICY) or (0, {})
    assert evidence["pattern"] == "exclusive_pair"
    assert player == 1  # a tie of wins names the first
    assert collusion_finding(PairRecord(1, 2, 12, 6, 6, 12, 40), POLICY) is None
    assert collusion_finding(PairRecord(1, 2, 9, 5, 4, 9, 9), POLICY) is None  # too few


def test_a_policy_is_checked() -> None:
    with pytest.raises(InvalidRequest):
        CollusionPolicy(min_duels=1)
