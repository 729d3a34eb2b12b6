"""Regulatory reports: their rows, and the rule that flags an RTP drifting from theory.

Everything here is exact: amounts are integers in minor units, ratios are `Fraction`s (the
entrypoints render them as decimal text), and the drift test compares squares of fractions,
so no float and no square root is ever involved."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache

from domain.errors import DomainError
from domain.games.base import Selection
from domain.games.catalog import GAMES
from domain.games.plinko import Plinko

MAX_REPORT_DAYS = 366
DEFAULT_REPORT_DAYS = 7
# A drift is only called on a sample big enough for the normal approximation to mean something.
DRIFT_MIN_BETS = 1000
DRIFT_SIGMAS = 3


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """Whole UTC days: from `since` (inclusive) up to `until` (exclusive)."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if not self.since < self.until:
            raise ValueError("a report period ends after it starts")

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    @property
    def start(self) -> datetime:
        """The first instant of the period, in UTC."""
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return datetime.combine(self.until, time(), UTC)

    def each_day(self) -> Iterable[date]:
        return (self.since + timedelta(days=n) for n in range(self.days))


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What a report is narrowed to; None means every game or currency."""

    currency: str | None = None
    game: str | None = None


@dataclass(frozen=True, slots=True)
class GgrRow:
    """Gross gaming revenue of one game in one currency on one UTC day: settled bets (won or
    lost, by settlement time; voided bets moved no money and are left out)."""

    day: date
    game: str
    currency: str
    bets: int
    stakes: int  # minor units
    wins: int  # payouts, minor units

    @property
    def ggr(self) -> int:
        """What the house kept: stakes − wins (negative on a day the players won)."""
        return self.stakes - self.wins


@dataclass(frozen=True, slots=True)
class CashflowRow:
    """Money in and out of players' wallets in one currency on one UTC day."""

    day: date
    currency: str
    deposits: int  # minor units credited to wallets by deposits
    withdrawals: int  # minor units taken from wallets by withdrawals (net, positive = out)
    active_players: int  # distinct players who placed a bet that day


@dataclass(frozen=True, slots=True)
class BetGroup:
    """Settled bets of one game and currency that share a selection and a house edge, so they
    share one exact theoretical RTP."""

    game: str
    currency: str
    params: Mapping[str, str]
    house_edge: Fraction
    bets: int
    stakes: int
    wins: int
    stake_squares: int  # Σ stake², for the variance of the stake-weighted mean


@dataclass(frozen=True, slots=True)
class RtpRow:
    """Actual against theoretical return to player of one game in one currency."""

    game: str
    currency: str
    bets: int
    stakes: int
    wins: int
    actual: Fraction | None  # wins / stakes; None without stakes
    theoretical: Fraction | None  # stake-weighted exact RTP of the bets made; None without
    drift: bool


@dataclass(frozen=True, slots=True)
class _Moments:
    rtp: Fraction  # E[payout / stake]
    variance: Fraction  # an upper bound of Var[payout / stake]


@lru_cache(maxsize=4096)
def _moments(code: str, selection: Selection, house_edge: Fraction) -> _Moments:
    game = GAMES[code]
    rtp = game.rtp(selection, house_edge)
    if isinstance(game, Plinko):  # many multipliers: its rows + 1 slots give Var[m] exactly
        second = sum((p * m * m for m, p in game.distribution(selection, house_edge)), Fraction(0))
        return _Moments(rtp, second - rtp * rtp)
    # The multiplier m of one bet lies in [0, M] (M its best multiplier), so E[m²] <= M·E[m]:
    # Var[m] <= M·rtp − rtp². Equality holds for every bet that either loses or pays one
    # multiplier (dice, coin, roulette, limbo, the Telegram games' bets), and the slot's bound
    # is only more cautious. Exact, cheap, and it never needs the outcome space enumerated.
    best = game.max_multiplier(selection, house_edge)
    return _Moments(rtp, max(Fraction(0), best * rtp - rtp * rtp))


def _group_moments(group: BetGroup) -> _Moments | None:
    game = GAMES.get(group.game)
    if game is None:
        return None
    try:
        selection = game.parse(group.params)
    except DomainError:  # a selection this version no longer offers: no theory to compare
        return None
    return _moments(group.game, selection, group.house_edge)


def rtp_rows(cells: Sequence[tuple[str, str]], groups: Iterable[BetGroup]) -> list[RtpRow]:
    """One row per (game, currency) cell, in the cells' order, zeros where nothing was bet.

    theoretical = Σ stakes_g · rtp_g / Σ stakes_g over the groups g of the cell (each bet's own
    exact RTP, weighted by its stake, as the actual RTP is).

    Drift: the actual RTP R = Σ payout / Σ stake is a stake-weighted mean of the bets' payout
    ratios. For independent bets, Var(R) = Σ s_i² σ_i² / (Σ s_i)², with σ_i² the variance of
    bet i's ratio, taken from theory (see `_moments`), so a run of unlucky wins cannot shrink
    it and a broken payout cannot hide behind its own noise. A cell drifts when it has at
    least DRIFT_MIN_BETS bets and |R − T| > DRIFT_SIGMAS · sqrt(Var(R)), tested exactly as
    (R − T)² > DRIFT_SIGMAS² · Var(R). Payouts are rounded down to the minor unit, so tiny
    stakes (1 Star on a 1.98x coin pays 1) really do return less than theory, and show up."""
    by_cell: dict[tuple[str, str], list[BetGroup]] = {}
    for group in groups:
        by_cell.setdefault((group.game, group.currency), []).append(group)
    rows = []
    for game, currency in cells:
        members = by_cell.get((game, currency), [])
        bets = sum(g.bets for g in members)
        stakes = sum(g.stakes for g in members)
        wins = sum(g.wins for g in members)
        actual = Fraction(wins, stakes) if stakes else None
        theoretical, drift = None, False
        moments = [(g, _group_moments(g)) for g in members]
        if stakes and all(m is not None for _, m in moments):
            expected = Fraction(0)
            variance = Fraction(0)
            for group, m in moments:
                assert m is not None
                expected += m.rtp * group.stakes
                variance += m.variance * group.stake_squares
            theoretical = expected / stakes
            variance /= stakes * stakes
            assert actual is not None
            drift = bets >= DRIFT_MIN_BETS and (actual - theoretical) ** 2 > (
                DRIFT_SIGMAS**2 * variance
            )
        rows.append(RtpRow(game, currency, bets, stakes, wins, actual, theoretical, drift))
    return rows
