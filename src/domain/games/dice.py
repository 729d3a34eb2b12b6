"""Provably fair dice: roll 0.00-100.00, bet it lands under or over a target."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from functools import cache
from itertools import accumulate

from domain.errors import InvalidRequest
from domain.fairness import bucket_of, word_probability, words_mapping_to
from domain.games.base import (
    EnumeratedGame,
    ProvablyFairGame,
    Selection,
    edge_multiplier,
    format_hundredths,
    parse_hundredths,
    reject_unknown,
    require,
)

ROLLS = 10001  # 0.00 .. 100.00 in hundredths
# Win chance between 1% and 98% of the rolls: beyond that multipliers stop being sensible.
MIN_WINNING_ROLLS = 100
MAX_WINNING_ROLLS = 9800


class Dice(ProvablyFairGame, EnumeratedGame):
    code = "dice"
    title = "Dice"

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"direction", "target"}, "dice")
        direction = require(params, "direction", "dice").strip().lower()
        if direction not in ("under", "over"):
            raise InvalidRequest("dice direction is 'under' or 'over'")
        target = parse_hundredths(require(params, "target", "dice"), "dice target")
        selection = Selection(direction, target)
        wins = _winning_rolls(selection)
        if not MIN_WINNING_ROLLS <= wins <= MAX_WINNING_ROLLS:
            low, high = _target_range(direction)
            raise InvalidRequest(
                f"a dice bet {direction} takes a target from {format_hundredths(low)} "
                f"to {format_hundredths(high)}"
            )
        return selection

    def params(self, selection: Selection) -> dict[str, str]:
        assert selection.value is not None
        return {"direction": selection.kind, "target": format_hundredths(selection.value)}

    def selections(self) -> Iterable[Selection]:
        for direction in ("under", "over"):
            low, high = _target_range(direction)
            for target in range(low, high + 1):
                yield Selection(direction, target)

    def outcome_from_words(self, words: Iterator[int]) -> int:
        return bucket_of(next(words), ROLLS)

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        assert selection.value is not None
        won = outcome < selection.value if selection.kind == "under" else outcome > selection.value
        return self.max_multiplier(selection, house_edge) if won else Fraction(0)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return edge_multiplier(Fraction(_winning_rolls(selection), ROLLS), house_edge)

    def outcomes(self) -> Sequence[tuple[int, Fraction]]:
        return _outcomes()

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        # The same enumeration as the base class, with the outcome weights summed once into a
        # running total so that all 19,402 selections can be checked quickly.
        assert selection.value is not None
        cumulative = _cumulative()
        if selection.kind == "under":
            p_win = cumulative[selection.value]
        else:
            p_win = 1 - cumulative[selection.value + 1]
        return p_win * self.max_multiplier(selection, house_edge)

    def describe(self, outcome: int) -> str:
        return format_hundredths(outcome)


def _winning_rolls(selection: Selection) -> int:
    assert selection.value is not None
    if selection.kind == "under":
        return selection.value
    return ROLLS - 1 - selection.value


def _target_range(direction: str) -> tuple[int, int]:
    if direction == "under":
        return MIN_WINNING_ROLLS, MAX_WINNING_ROLLS
    return ROLLS - 1 - MAX_WINNING_ROLLS, ROLLS - 1 - MIN_WINNING_ROLLS


@cache
def _outcomes() -> tuple[tuple[int, Fraction], ...]:
    return tuple((r, word_probability(words_mapping_to(r, ROLLS))) for r in range(ROLLS))


@cache
def _cumulative() -> tuple[Fraction, ...]:
    """cumulative[r] = P(roll < r), from the enumerated outcome space."""
    return (Fraction(0), *accumulate(p for _, p in _outcomes()))
