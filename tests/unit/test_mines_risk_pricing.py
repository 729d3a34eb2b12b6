"""The risk scan prices a mines game by the tiles the player pressed (issue 21): the steps'
drifts and variances add up to the strategy's exact moments, a lucky player who stops
early is flagged, and one with ordinary results at any depth is not."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from domain.games.base import Selection, payout_for
from domain.games.mines import TILES, cash_out_multiplier, played_moments, survival
from domain.risk import BetCell, RiskPolicy, improbable, multiplier_distribution, score_results

EDGE = Fraction(1, 100)
STAKE = 100


def mines_cell(mines: int, steps: int | None, bets: int, payouts: int) -> BetCell:
    return BetCell(1, "XTR", "mines", {"mines": str(mines)}, EDGE, STAKE, bets, payouts, steps)


@pytest.mark.parametrize(("mines", "stop"), [(1, 2), (1, 24), (3, 5), (12, 4), (24, 1)])
def test_the_steps_price_a_strategy_exactly(mines, stop):
    """Always stopping after `stop` safe tiles: a game presses j tiles and busts on the j-th
    (j <= stop), or presses `stop` and cashes out. Over those ends the priced mean is the
    strategy's E[payout], and the priced variance is E[(payout - priced mean)^2] (a
    martingale's compensator and its quadratic variation), exactly: so the z-score of any
    strategy, even one that changes with what the player saw, is a sum of steps."""
    win = survival(mines, stop)
    paid = payout_for(STAKE, cash_out_multiplier(mines, stop, EDGE))
    ends = [(survival(mines, j - 1) - survival(mines, j), j, 0) for j in range(1, stop + 1)]
    ends.append((win, stop, paid))
    assert sum(p for p, *_ in ends) == 1
    priced = {j: played_moments(mines, j, EDGE, STAKE) for j in range(1, stop + 1)}
    assert sum((p * priced[j][0] for p, j, _ in ends), Fraction(0)) == win * paid
    spread = sum((p * (pay - priced[j][0]) ** 2 for p, j, pay in ends), Fraction(0))
    assert spread == sum((p * priced[j][1] for p, j, _ in ends), Fraction(0))


def test_a_player_who_always_wins_after_two_tiles_is_flagged():
    """200 three-mine games, each cashed out after two safe tiles (231/300 = 0.77), all won:
    about 1 in 10**22. Priced as if each went to the last tile (two outcomes: 0, or the 22nd
    tile's multiplier) the wins were unremarkable; priced by the two tiles pressed they are."""
    paid = payout_for(STAKE, cash_out_multiplier(3, 2, EDGE))
    [riskiest] = score_results([mines_cell(3, None, 200, 200 * paid)])
    assert not improbable(riskiest, RiskPolicy())
    [score] = score_results([mines_cell(3, 2, 200, 200 * paid)])
    assert score.z is not None
    assert score.z > 7
    assert improbable(score, RiskPolicy())


def test_ordinary_results_are_not_flagged_whatever_the_depth():
    """Games at the results theory expects are not flagged: two tiles (the expected share of
    wins), and deep games that mostly bust with one big win."""
    policy = RiskPolicy()
    paid = payout_for(STAKE, cash_out_multiplier(1, 2, EDGE))
    # One mine, two tiles: 184 of 200 won (23/25), 8 busted on the first tile, 8 on the second.
    two = [mines_cell(1, 2, 184, 184 * paid), mines_cell(1, 1, 8, 0), mines_cell(1, 2, 8, 0)]
    [score] = score_results(two)
    assert abs(score.z or 0) < 1
    assert not improbable(score, policy)
    deep = cash_out_multiplier(5, 10, EDGE)  # 5 mines, 10 tiles: 1 in ~61.5, ~60.8x
    busts = [mines_cell(5, j, 12, 0) for j in range(1, 11)]  # 120 games busted along the way
    [score] = score_results([mines_cell(5, 10, 2, 2 * payout_for(STAKE, deep)), *busts])
    assert score.z is not None
    assert abs(score.z) < 2
    assert not improbable(score, policy)


def test_a_game_without_steps_read_is_still_priced_by_the_riskiest_strategy():
    """A cell without its tiles (none read) keeps the old price: 0, or the last tile's
    multiplier with the probability that gives the game's RTP."""
    two = multiplier_distribution("mines", Selection("mines", 1), EDGE)
    assert [m for m, _ in two] == [0, cash_out_multiplier(1, TILES - 1, EDGE)]
    mean = sum(p * payout_for(STAKE, m) for m, p in two)
    variance = sum(p * payout_for(STAKE, m) ** 2 for m, p in two) - mean**2
    [score] = score_results([mines_cell(1, None, 100, 0)])
    assert score.sd == pytest.approx(math.sqrt(100 * variance))
