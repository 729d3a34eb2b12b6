"""Provably fair mines: a 5x5 field, 1-24 mines, played in steps.

The mine positions are Stake's shuffle of the seed pair's floats, fixed when the game opens:
pick i (i = 0, 1, ...) takes, from the tiles not yet picked kept in ascending order, the one
at index floor(f_i * (25 - i)); the first M picks are the mines. The player reveals tiles one
at a time and may cash out after any safe tile. After k safe tiles the multiplier is
(1 - edge) * C(25, k) / C(25 - M, k), cut (never rounded up) to MULTIPLIER_DECIMALS.

As a `Game` the selection is the mine count and the outcome the number of safe tiles revealed
when the game ended, 0 when it ended on a mine: so a mines bet settles, pays, checks its
limits (the largest multiplier is at 25 - M safe tiles) and reports as every other bet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
from math import comb

from domain.errors import InvalidRequest
from domain.fairness import UINT32_SPACE, bucket_of
from domain.games.base import (
    MULTIPLIER_DECIMALS,
    Selection,
    SteppedGame,
    parse_int,
    payout_for,
    reject_unknown,
    require,
)

TILES = 25  # 5 x 5, numbered 0-24 row by row
SIDE = 5
MIN_MINES = 1
MAX_MINES = 24


def mine_positions(words: Iterator[int], mines: int) -> tuple[int, ...]:
    """The mines, in the order the shuffle picked them (Stake's rule, see the module)."""
    check_mine_count(mines)
    remaining = list(range(TILES))
    return tuple(remaining.pop(bucket_of(next(words), TILES - i)) for i in range(mines))


def check_mine_count(mines: int) -> int:
    if not MIN_MINES <= mines <= MAX_MINES:
        raise InvalidRequest(f"a mines field has {MIN_MINES}-{MAX_MINES} mines, not {mines}")
    return mines


def check_tile(tile: int) -> int:
    if not 0 <= tile < TILES:
        raise InvalidRequest(f"a tile is 0-{TILES - 1} (row * {SIDE} + column), not {tile}")
    return tile


def exact_multiplier(mines: int, safe: int, house_edge: Fraction) -> Fraction:
    """(1 - edge) * C(25, k) / C(25 - M, k), before the cut."""
    return (1 - house_edge) * Fraction(comb(TILES, safe), comb(TILES - mines, safe))


def cash_out_multiplier(mines: int, safe: int, house_edge: Fraction) -> Fraction:
    """What a cash-out after `safe` safe tiles pays: the exact multiplier cut to
    MULTIPLIER_DECIMALS decimals (never rounded up)."""
    if not 1 <= safe <= TILES - mines:
        raise InvalidRequest(f"with {mines} mines a cash-out follows 1-{TILES - mines} safe tiles")
    scale = 10**MULTIPLIER_DECIMALS
    return Fraction((exact_multiplier(mines, safe, house_edge) * scale).__floor__(), scale)


@lru_cache(maxsize=256)
def step_multipliers(mines: int, house_edge: Fraction) -> tuple[Fraction, ...]:
    """The cash-out multipliers after 1, 2, ..., 25 - M safe tiles, increasing: each safe tile
    multiplies the exact one by (25 - k) / (25 - M - k) > 1, and cutting keeps the order."""
    return tuple(cash_out_multiplier(mines, k, house_edge) for k in range(1, TILES - mines + 1))


def safe_tiles_within(mines: int, house_edge: Fraction, stake: int, max_payout: int) -> int:
    """How many safe tiles a game may reveal: the most whose cash-out pays `max_payout` or
    less (0 when not even the first does). Revealing more is refused: a game is capped at
    its payout limit, so a player stops there at the latest."""
    allowed = 0
    for multiplier in step_multipliers(mines, house_edge):
        if payout_for(stake, multiplier) > max_payout:
            break
        allowed += 1
    return allowed


def survival(mines: int, safe: int) -> Fraction:
    """The probability that `safe` chosen tiles are all safe on a uniformly shuffled field:
    C(25 - M, k) / C(25, k), whichever tiles the player chooses and in whatever order."""
    return Fraction(comb(TILES - mines, safe), comb(TILES, safe))


def stopping_rtp(mines: int, safe: int, house_edge: Fraction) -> Fraction:
    """The exact return of the strategy "cash out after `safe` safe tiles"."""
    return survival(mines, safe) * cash_out_multiplier(mines, safe, house_edge)


def played_moments(
    mines: int, pressed: int, house_edge: Fraction, stake: int
) -> tuple[Fraction, Fraction]:
    """E[payout] and Var[payout] of a game as the player played it: `pressed` tiles pressed
    (the safe ones, and the mine when it ended on one). A game is a chain of steps: with t
    safe tiles it is worth V_t (the stake at t = 0, then what a cash-out pays, as paid), and
    pressing a tile makes it V_{t+1} with probability q_t = (25 - M - t) / (25 - t), else 0.
    Whether to press again is the player's choice from what they saw, so the result minus
    the steps' drifts (q_t V_{t+1} - V_t) is a martingale whose variance is the sum of the
    steps' variances V_{t+1}^2 q_t (1 - q_t): the game is priced by the steps taken, not by
    the riskiest strategy (a player who stops after two tiles is judged on two tiles)."""
    check_mine_count(mines)
    steps = min(max(pressed, 1), TILES - mines)
    values = [Fraction(stake)]
    values += [Fraction(payout_for(stake, m)) for m in step_multipliers(mines, house_edge)]
    mean, variance = Fraction(stake), Fraction(0)
    for t in range(steps):
        safe = Fraction(TILES - mines - t, TILES - t)
        mean += safe * values[t + 1] - values[t]
        variance += values[t + 1] ** 2 * safe * (1 - safe)
    return mean, variance


def shuffle_bias_bound(mines: int) -> Fraction:
    """How much more likely than on a uniform shuffle any one placement of the mines can be
    with 32-bit words: floor(f * n) gives each index ceil(2**32 / n) words at most, so each
    pick is at most n * ceil(2**32 / n) / 2**32 times its uniform 1 / n. Every probability
    (and so every return) of the real shuffle is at most this factor times the uniform one's;
    the factor is below 1 + 6e-8 for every mine count."""
    bound = Fraction(1)
    for i in range(mines):
        n = TILES - i
        bound *= Fraction(n * -(-UINT32_SPACE // n), UINT32_SPACE)
    return bound


class Mines(SteppedGame):
    code = "mines"
    title = "Mines"
    emoji = "💣"
    step_name = "safe tile"

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"mines"}, "mines")
        return Selection(
            "mines", check_mine_count(parse_int(require(params, "mines", "mines"), "mines"))
        )

    def params(self, selection: Selection) -> dict[str, str]:
        assert selection.value is not None
        return {"mines": str(selection.value)}

    def selections(self) -> Iterable[Selection]:
        return [Selection("mines", m) for m in range(MIN_MINES, MAX_MINES + 1)]

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        assert selection.value is not None
        if outcome == 0:
            return Fraction(0)
        return cash_out_multiplier(selection.value, outcome, house_edge)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """After the last safe tile. A bet's payout is capped below it at the game's limit
        (`step_multipliers`): this is the game's, not a bet's, best."""
        assert selection.value is not None
        return cash_out_multiplier(selection.value, TILES - selection.value, house_edge)

    def step_multipliers(self, selection: Selection, house_edge: Fraction) -> Sequence[Fraction]:
        assert selection.value is not None
        return step_multipliers(selection.value, house_edge)

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """The best return any strategy gets: a strategy is when to cash out (which tiles
        does not matter on a uniform shuffle), so the largest of the stopping returns."""
        assert selection.value is not None
        mines = selection.value
        return max(stopping_rtp(mines, k, house_edge) for k in range(1, TILES - mines + 1))

    def replay(self, words: Iterator[int], selection: Selection, steps: Sequence[int]) -> int:
        """The safe tiles of `steps` before the first mine; 0 when a step hit a mine."""
        assert selection.value is not None
        mines = set(mine_positions(words, selection.value))
        for tile in steps:
            if check_tile(tile) in mines:
                return 0
        return len(set(steps))

    def describe(self, outcome: int) -> str:
        return "hit a mine" if outcome == 0 else f"cashed out after {outcome} safe tiles"
