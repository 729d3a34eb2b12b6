"""Outcome monitoring: each game's observed outcomes against its theoretical distribution,
with Pearson's chi-square test. Its p-value comes from the regularized upper incomplete gamma
function implemented here (no numerical library in the domain). A broken RNG or a skewed
Telegram dice shows as a p-value below the operator's alpha; the reports and `croupier risk
monitor` read it. Floats appear only in these statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from domain.crash import MAX_MULTIPLIER as CRASH_CAP
from domain.crash import probability_at_least
from domain.errors import InvalidRequest
from domain.fairness import word_probability
from domain.games.base import EnumeratedGame, SteppedGame, format_hundredths
from domain.games.catalog import GAMES
from domain.games.crash import Crash
from domain.games.dice import ROLLS, Dice
from domain.games.limbo import RESULT_CAP, Limbo, winning_words
from domain.games.mines import MAX_MINES, TILES, Mines
from domain.games.plinko import MIN_ROWS, Plinko, slot_probability

# A chi-square test is only trusted when every bin expects at least this many outcomes.
MIN_EXPECTED_PER_BIN = 5


@dataclass(frozen=True, slots=True)
class OutcomeBin:
    """Outcomes from `low` (inclusive) up to the next bin's `low` (the last bin is open), and
    the exact probability of landing in it."""

    label: str
    low: int
    probability: Fraction


@dataclass(frozen=True, slots=True)
class BinCount:
    label: str
    observed: int
    expected: float


@dataclass(frozen=True, slots=True)
class ChiSquare:
    statistic: float
    dof: int
    p_value: float


# Limbo's results are bucketed at these multipliers (hundredths): dense near 1x where most
# results fall, sparse in the long tail.
LIMBO_EDGES = (100, 101, 105, 110, 125, 150, 200, 300, 500, 1000, 2000, 10000, 100000, 1000000)
# Crash is monitored on its rounds' crash points, not its bets' cash-outs (which the players
# choose): the bins of a crash point, in hundredths.
CRASH_EDGES = (100, 101, 105, 110, 125, 150, 200, 300, 500, 1000, 2000, 10000, CRASH_CAP)
DICE_BIN_WIDTH = 100  # rolls 0.00-0.99, 1.00-1.99, …; the last bin also holds 100.00
# Plinko drops have 8 to 16 rows, so a stored path's distribution depends on its bet. Every
# drop has the first MIN_ROWS rows, though, and their path (the outcome's low MIN_ROWS bits) is
# uniform over 2**MIN_ROWS paths whatever the rows: drops are counted by that path and tested
# by its slot, binomial C(8, s) / 256 (a rightward or leftward bias moves the slots).
PLINKO_PATHS = 2**MIN_ROWS


# Mines are counted by every mine of every field: a field of M mines adds one to each of its
# M tiles, counted in the range (M - 1) * 25 + tile (so a test can weigh each mine count).
MINES_RANGES = MAX_MINES * TILES


@lru_cache(maxsize=32)
def theoretical_bins(code: str) -> tuple[OutcomeBin, ...]:
    """The bins a game's stored outcomes are counted in, with their exact probabilities.
    Mines is counted by where its fields' mines fell, not by its outcome (where the player
    chose to stop, which no theory predicts): on a uniform shuffle each of the 25 tiles holds
    1/25 of all mines whatever the mine count (the 32-bit words move any placement's
    probability by less than 6e-8 of itself, `mines.shuffle_bias_bound`), and the test
    weighs the fields' mine counts (`OutcomeCounting.draws`). Another game played in steps
    has no bins."""
    game = GAMES[code]
    if isinstance(game, Mines):
        return tuple(OutcomeBin(f"mines on tile {t}", t, Fraction(1, TILES)) for t in range(TILES))
    if isinstance(game, SteppedGame):
        return ()
    if isinstance(game, Dice):
        starts = list(range(0, ROLLS - 1, DICE_BIN_WIDTH))
        probabilities = dict(game.outcomes())
        bins = []
        for i, low in enumerate(starts):
            high = starts[i + 1] if i + 1 < len(starts) else ROLLS
            p = sum((probabilities[r] for r in range(low, high)), Fraction(0))
            label = f"{format_hundredths(low)}-{format_hundredths(high - 1)}"
            bins.append(OutcomeBin(label, low, p))
        return tuple(bins)
    if isinstance(game, Limbo):
        at_least = [word_probability(winning_words(edge)) for edge in LIMBO_EDGES]
        bins = []
        for i, low in enumerate(LIMBO_EDGES):
            upper = at_least[i + 1] if i + 1 < len(LIMBO_EDGES) else Fraction(0)
            label = (
                f"{format_hundredths(low)}x-{format_hundredths(LIMBO_EDGES[i + 1])}x"
                if i + 1 < len(LIMBO_EDGES)
                else f"{format_hundredths(low)}x-{format_hundredths(RESULT_CAP)}x"
            )
            bins.append(OutcomeBin(label, low, at_least[i] - upper))
        return tuple(bins)
    if isinstance(game, Plinko):
        return tuple(
            OutcomeBin(f"slot {s} of the first {MIN_ROWS} rows", s, slot_probability(MIN_ROWS, s))
            for s in range(MIN_ROWS + 1)
        )
    if isinstance(game, Crash):
        return _crash_point_bins()
    if isinstance(game, EnumeratedGame):
        return tuple(OutcomeBin(game.describe(o), o, p) for o, p in sorted(game.outcomes()))
    raise InvalidRequest(f"{code} has no outcome distribution to monitor")


@dataclass(frozen=True, slots=True)
class OutcomeCounting:
    """How a game's stored outcomes are counted before they are tested: the value counted is
    the outcome, or the outcome modulo `modulus`; it is counted in ranges starting at `edges`
    (ascending, the last open), and range i adds to theoretical bin `bin_of[i]`.

    With `draws`, each bet counted in range i drew `draws[i]` distinct bins uniformly without
    replacement (a mines field: its M mines among the 25 tiles) and added one to each: the
    bins' counts are then not multinomial. Per field the tile counts have covariance
    p(1 - p) k/(k - 1) (I - J/k) with p = M/k over k bins, so over fields Pearson's
    statistic times (k - 1) Σ M / Σ M (k - M) is chi-square with k - 1 degrees of freedom
    (1 when every field has one mine, as a multinomial; merged bins keep the factor)."""

    edges: tuple[int, ...]
    bin_of: tuple[int, ...]
    modulus: int | None = None
    draws: tuple[int, ...] | None = None

    def check(self, code: str, counts: Sequence[int], alpha: float) -> OutcomeTest:
        """The counts per range (following `edges`) tested (`check_outcomes`)."""
        folded = self.fold(counts)
        if self.draws is None:
            return check_outcomes(code, folded, alpha)
        bins = len(folded)
        weighed = sum(c * (bins - d) for c, d in zip(counts, self.draws, strict=True))
        fields = sum((Fraction(c, d) for c, d in zip(counts, self.draws, strict=True)), Fraction())
        scale = (bins - 1) * sum(counts) / weighed if weighed else 1.0
        return check_outcomes(code, folded, alpha, bets=int(fields), scale=scale)

    def fold(self, counts: Sequence[int]) -> list[int]:
        """Counts per range (following `edges`) as counts per theoretical bin."""
        if len(counts) != len(self.edges):
            raise ValueError("one count per range")
        folded = [0] * (max(self.bin_of) + 1)
        for index, count in zip(self.bin_of, counts, strict=True):
            folded[index] += count
        return folded


@lru_cache(maxsize=32)
def outcome_counting(code: str) -> OutcomeCounting:
    """What the reports count for a game: its theoretical bins' ranges, except for plinko,
    whose drops are counted by the path of their first rows (PLINKO_PATHS)."""
    if isinstance(GAMES[code], Plinko):
        paths = range(PLINKO_PATHS)
        return OutcomeCounting(tuple(paths), tuple(p.bit_count() for p in paths), PLINKO_PATHS)
    if isinstance(GAMES[code], Mines):
        ranges = range(MINES_RANGES)
        return OutcomeCounting(
            tuple(ranges),
            tuple(r % TILES for r in ranges),
            draws=tuple(r // TILES + 1 for r in ranges),
        )
    bins = theoretical_bins(code)
    return OutcomeCounting(tuple(b.low for b in bins), tuple(range(len(bins))))


def _crash_point_bins() -> tuple[OutcomeBin, ...]:
    bins = []
    for i, low in enumerate(CRASH_EDGES):
        last = i + 1 == len(CRASH_EDGES)
        upper = Fraction(0) if last else probability_at_least(CRASH_EDGES[i + 1])
        label = (
            f"{format_hundredths(low)}x"
            if last
            else f"{format_hundredths(low)}x-{format_hundredths(CRASH_EDGES[i + 1] - 1)}x"
        )
        bins.append(OutcomeBin(label, low, probability_at_least(low) - upper))
    return tuple(bins)


def expected_bins(bins: Sequence[OutcomeBin], observed: Sequence[int]) -> list[BinCount]:
    """Observed against expected counts (n × p) per bin; `observed` follows `bins`."""
    if len(bins) != len(observed):
        raise ValueError("one observed count per bin")
    total = sum(observed)
    return [
        BinCount(b.label, count, float(b.probability * total))
        for b, count in zip(bins, observed, strict=True)
    ]


def merge_bins(counts: Sequence[BinCount], minimum: float = MIN_EXPECTED_PER_BIN) -> list[BinCount]:
    """Neighbouring bins merged, in order, until each expects at least `minimum` outcomes (a
    short remainder joins the last full bin), so the chi-square approximation holds. Bins that
    can never occur are dropped when nothing landed in them."""
    merged: list[BinCount] = []
    pending: list[BinCount] = []
    for count in counts:
        if count.expected == 0 and count.observed == 0:
            continue
        pending.append(count)
        if sum(c.expected for c in pending) >= minimum:
            merged.append(_join(pending))
            pending = []
    if pending:
        if merged:
            merged[-1] = _join([merged[-1], *pending])
        else:
            merged.append(_join(pending))
    return merged


def _join(counts: Sequence[BinCount]) -> BinCount:
    if len(counts) == 1:
        return counts[0]
    first, last = counts[0].label, counts[-1].label
    return BinCount(
        f"{first} … {last}",
        sum(c.observed for c in counts),
        sum(c.expected for c in counts),
    )


def chi_square(counts: Sequence[BinCount], scale: float = 1.0) -> ChiSquare | None:
    """Pearson's test of observed against expected counts (already merged); None when there
    are fewer than two bins, so nothing to test. An outcome seen where theory expects none
    makes the statistic infinite and the p-value 0. `scale` multiplies the statistic when
    the counts are not multinomial (see `OutcomeCounting`)."""
    if len(counts) < 2:
        return None
    statistic = 0.0
    for c in counts:
        if c.expected == 0:
            if c.observed:
                return ChiSquare(math.inf, len(counts) - 1, 0.0)
            continue
        statistic += (c.observed - c.expected) ** 2 / c.expected
    statistic *= scale
    dof = len(counts) - 1
    return ChiSquare(statistic, dof, chi_square_sf(statistic, dof))


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(X ≥ statistic) for X chi-square distributed with `dof` degrees of freedom: the
    regularized upper incomplete gamma function Q(dof / 2, statistic / 2)."""
    if dof < 1:
        raise ValueError("a chi-square distribution has at least one degree of freedom")
    if statistic <= 0:
        return 1.0
    if math.isinf(statistic):
        return 0.0
    return regularized_gamma_q(dof / 2, statistic / 2)


_EPSILON = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 10_000


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): a power series below x = a + 1, Lentz's continued fraction
    above (each converges fast on its side; Numerical Recipes §6.2)."""
    if a <= 0 or x < 0:
        raise ValueError("Q(a, x) needs a > 0 and x >= 0")
    if x == 0:
        return 1.0
    if x < a + 1:
        return max(0.0, 1.0 - _lower_series(a, x))
    return _upper_fraction(a, x)


def _prefactor(a: float, x: float) -> float:
    return math.exp(-x + a * math.log(x) - math.lgamma(a))


def _lower_series(a: float, x: float) -> float:
    """P(a, x) = e^-x x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n))."""
    term = total = 1.0 / a
    denominator = a
    for _ in range(_MAX_ITERATIONS):
        denominator += 1
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * _EPSILON:
            break
    return total * _prefactor(a, x)


def _upper_fraction(a: float, x: float) -> float:
    b = x + 1 - a
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = d if abs(d) >= _TINY else _TINY
        c = b + an / c
        c = c if abs(c) >= _TINY else _TINY
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPSILON:
            break
    return _prefactor(a, x) * h


@dataclass(frozen=True, slots=True)
class OutcomeTest:
    """A game's outcomes over a window against theory."""

    game: str
    bets: int
    bins: tuple[BinCount, ...]  # after merging
    test: ChiSquare | None
    alert: bool


def check_outcomes(
    code: str,
    observed: Sequence[int],
    alpha: float,
    *,
    bets: int | None = None,
    scale: float = 1.0,
) -> OutcomeTest:
    """Count `observed` (one number per `theoretical_bins(code)` bin), merge, test; alert when
    the p-value is below `alpha`. `bets` when a bet adds to several bins (default: one bin
    each), `scale` for the statistic (see `OutcomeCounting`)."""
    counts = merge_bins(expected_bins(theoretical_bins(code), observed))
    result = chi_square(counts, scale)
    alert = result is not None and result.p_value < alpha
    return OutcomeTest(code, sum(observed) if bets is None else bets, tuple(counts), result, alert)
