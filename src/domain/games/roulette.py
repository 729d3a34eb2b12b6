"""Provably fair European roulette: one zero, pocket = floor(f * 37), the standard pay table."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction

from domain.errors import InvalidRequest
from domain.fairness import bucket_of, word_probability, words_mapping_to
from domain.games.base import (
    EnumeratedGame,
    ProvablyFairGame,
    Selection,
    parse_int,
    reject_unknown,
    require,
)
from domain.quoting import excerpt

POCKETS = 37
RED = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})

# Multiplier of the stake (the stake included): straight up pays 35 to 1, and so on.
PAYS = {
    "straight": Fraction(36),
    "red": Fraction(2),
    "black": Fraction(2),
    "odd": Fraction(2),
    "even": Fraction(2),
    "low": Fraction(2),
    "high": Fraction(2),
    "dozen": Fraction(3),
    "column": Fraction(3),
}
_NUMBERED = {"straight": (0, 36), "dozen": (1, 3), "column": (1, 3)}


def wins(selection: Selection, pocket: int) -> bool:
    kind, n = selection.kind, selection.value
    if kind == "straight":
        return pocket == n
    if pocket == 0:
        return False  # zero loses every outside bet: that is the house edge
    match kind:
        case "red":
            return pocket in RED
        case "black":
            return pocket not in RED
        case "odd":
            return pocket % 2 == 1
        case "even":
            return pocket % 2 == 0
        case "low":
            return pocket <= 18
        case "high":
            return pocket >= 19
        case "dozen":
            assert n is not None
            return (pocket - 1) // 12 + 1 == n
        case "column":
            assert n is not None
            return (pocket - 1) % 3 + 1 == n
    raise AssertionError(kind)


class Roulette(ProvablyFairGame, EnumeratedGame):
    code = "roulette"
    title = "European roulette"
    uses_house_edge = False

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"bet", "number"}, "roulette")
        kind = require(params, "bet", "roulette").strip().lower()
        if kind not in PAYS:
            raise InvalidRequest(f"roulette bets are {', '.join(PAYS)}; got {excerpt(kind)}")
        if kind not in _NUMBERED:
            if "number" in params:
                raise InvalidRequest(f"a roulette {kind} bet takes no number")
            return Selection(kind)
        low, high = _NUMBERED[kind]
        number = parse_int(require(params, "number", f"a roulette {kind} bet"), "number")
        if not low <= number <= high:
            raise InvalidRequest(f"a roulette {kind} bet takes a number from {low} to {high}")
        return Selection(kind, number)

    def params(self, selection: Selection) -> dict[str, str]:
        if selection.value is None:
            return {"bet": selection.kind}
        return {"bet": selection.kind, "number": str(selection.value)}

    def selections(self) -> Iterable[Selection]:
        for kind in PAYS:
            if kind in _NUMBERED:
                low, high = _NUMBERED[kind]
                yield from (Selection(kind, n) for n in range(low, high + 1))
            else:
                yield Selection(kind)

    def outcome_from_words(self, words: Iterator[int]) -> int:
        return bucket_of(next(words), POCKETS)

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        return PAYS[selection.kind] if wins(selection, outcome) else Fraction(0)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return PAYS[selection.kind]

    def outcomes(self) -> Sequence[tuple[int, Fraction]]:
        return [(p, word_probability(words_mapping_to(p, POCKETS))) for p in range(POCKETS)]

    def describe(self, outcome: int) -> str:
        colour = "green" if outcome == 0 else ("red" if outcome in RED else "black")
        return f"{outcome} {colour}"
