"""The outcome monitor tests every mine of every mines field (issue 21), not only the first:
a fair shuffle passes, a shuffle whose mines avoid a tile or whose second mine is biased is
caught (fixed seeds: no flakes), and the statistic's weighing of mine counts keeps it
chi-square (its mean over fair runs is its degrees of freedom)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from domain.games.mines import MAX_MINES, TILES, mine_positions
from domain.outcome_tests import check_outcomes, outcome_counting

Shuffle = Callable[[Iterator[int], int], tuple[int, ...]]


def _words(rng: random.Random) -> Iterator[int]:
    while True:
        yield rng.getrandbits(32)


def _counts(shuffle: Shuffle, games: int, seed: int, counts_of: range) -> list[int]:
    """What the report reads: one per mine, in range (M - 1) * 25 + tile."""
    rng = random.Random(seed)
    found = [0] * (MAX_MINES * TILES)
    for g in range(games):
        mines = counts_of[g % len(counts_of)]
        for tile in shuffle(_words(rng), mines):
            found[(mines - 1) * TILES + tile] += 1
    return found


def _avoiding_tile_12(words: Iterator[int], mines: int) -> tuple[int, ...]:
    """A broken shuffle: a mine drawn on tile 12 is drawn again."""
    while True:
        picked = mine_positions(words, mines)
        if 12 not in picked:
            return picked


def _second_mine_off_by_one(words: Iterator[int], mines: int) -> tuple[int, ...]:
    """A broken shuffle: the second pick takes floor(f * (n - 1)), so it is never the last
    tile left (the first mine is exactly as fair as before)."""
    remaining = list(range(TILES))
    picked = []
    for i in range(mines):
        n = TILES - i - (i == 1)
        picked.append(remaining.pop(next(words) * n >> 32))
    return tuple(picked)


def _test(counts: list[int]):
    return outcome_counting("mines").check("mines", counts, alpha=0.001)


def test_a_fair_shuffle_passes_at_every_mine_count():
    counts = _counts(mine_positions, 4800, seed=21, counts_of=range(1, MAX_MINES + 1))
    result = _test(counts)
    assert result.bets == 4800
    assert result.test is not None
    assert result.test.dof == TILES - 1
    assert result.test.p_value > 0.01
    assert not result.alert


@pytest.mark.parametrize(
    ("shuffle", "games", "counts_of"),
    [(_avoiding_tile_12, 3000, range(1, 11)), (_second_mine_off_by_one, 6000, range(2, 6))],
)
def test_a_biased_shuffle_is_caught(shuffle, games, counts_of):
    result = _test(_counts(shuffle, games, seed=21, counts_of=counts_of))
    assert result.alert
    assert result.test is not None
    assert result.test.p_value < 1e-6
    if shuffle is _second_mine_off_by_one:
        # The same fields counted by their first mine alone, as the monitor did before, pass:
        # the first pick is untouched.
        first = [0] * TILES
        rng = random.Random(21)
        for g in range(games):
            first[shuffle(_words(rng), counts_of[g % len(counts_of)])[0]] += 1
        assert not check_outcomes("mines", first, alpha=0.001).alert


def test_the_weighed_statistic_is_chi_square_whatever_the_mine_count():
    """Over 200 fair runs of 60 twelve-mine fields the statistic averages its 24 degrees of
    freedom (Pearson's alone would average 24 * 13 / 24 = 13: a tile's count is far less
    spread than a multinomial's)."""
    statistics = []
    for seed in range(200):
        result = _test(_counts(mine_positions, 60, seed=seed, counts_of=range(12, 13)))
        assert result.test is not None
        statistics.append(result.test.statistic)
    assert 22.5 < sum(statistics) / len(statistics) < 25.5
