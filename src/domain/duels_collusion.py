"""Collusion between duellists: the chip-dumping patterns (docs/duels.md, "Collusion").

Two players can move money between them through duels: one loses on purpose to the other
(a stolen account emptied, a bonus or a deposit laundered through the escrow), and the house
takes only its cut. Two patterns raise a risk flag for staff, on the player who received:

- **one-sided**: of the settled duels between two players, one won so many that a fair game
  (each duel a coin toss: both dice come from Telegram) would do so with a probability under
  `p_value` (the binomial tail, exact): 9 wins of 10 is 11/1024 ≈ 1.1%; 10 of 10 is 1/1024
  ≈ 0.1%; 12 of 13 is 14/8192 ≈ 0.17%;
- **exclusive pair**: at least `min_duels` duels, and for each of the two, at least
  `pair_share` of all their duels were against the other (players who duel only each other).

The rule is pure arithmetic over counts the application reads (`PairRecord`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from math import comb
from typing import Final

from domain.errors import InvalidRequest

# Policy defaults (the settings override them: entrypoints/settings/duels.py).
DEFAULT_WINDOW: Final = timedelta(days=30)
DEFAULT_MIN_DUELS: Final = 10
DEFAULT_P_VALUE: Final = Fraction(1, 500)
DEFAULT_PAIR_SHARE: Final = Fraction(9, 10)


@dataclass(frozen=True, slots=True)
class CollusionPolicy:
    min_duels: int = DEFAULT_MIN_DUELS
    p_value: Fraction = DEFAULT_P_VALUE
    pair_share: Fraction = DEFAULT_PAIR_SHARE
    window: timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.min_duels < 2 or not 0 < self.p_value < 1 or not 0 < self.pair_share <= 1:
            raise InvalidRequest("a collusion policy needs 2+ duels and shares within (0, 1]")
        if self.window <= timedelta(0):
            raise InvalidRequest("a collusion policy looks back over a positive window")


@dataclass(frozen=True, slots=True)
class PairRecord:
    """Two players' duels over the window: `a_wins` and `b_wins` count the settled duels
    between them each won; `a_total` and `b_total` every duel each played (accepted or
    further, against anyone), `between` those against each other."""

    a: int
    b: int
    between: int
    a_wins: int
    b_wins: int
    a_total: int
    b_total: int


def one_sided_tail(wins: int, settled: int) -> Fraction:
    """P(at least `wins` wins of `settled` fair duels), exactly."""
    return Fraction(sum(comb(settled, k) for k in range(wins, settled + 1)), 2**settled)


def collusion_finding(
    record: PairRecord, policy: CollusionPolicy
) -> tuple[int, dict[str, object]] | None:
    """The player to flag (the one who received) and the evidence, or None."""
    settled = record.a_wins + record.b_wins
    winner, wins = (
        (record.a, record.a_wins) if record.a_wins >= record.b_wins else (record.b, record.b_wins)
    )
    loser = record.b if winner == record.a else record.a
    evidence: dict[str, object] = {
        "opponent_id": loser,
        "duels_between": record.between,
        "settled_between": settled,
        "wins": wins,
        "window_days": policy.window.days,
    }
    if settled >= policy.min_duels:
        tail = one_sided_tail(wins, settled)
        if tail < policy.p_value:
            return winner, {**evidence, "pattern": "one_sided", "p_value": float(tail)}
    totals = (record.a_total, record.b_total)
    if record.between >= policy.min_duels and all(
        total > 0 and Fraction(record.between, total) >= policy.pair_share for total in totals
    ):
        return winner, {
            **evidence,
            "pattern": "exclusive_pair",
            "share": float(Fraction(record.between, max(totals))),
        }
    return None
