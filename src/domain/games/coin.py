"""Provably fair coin flip: floor(f * 2), 0 heads, 1 tails."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction

from domain.errors import InvalidRequest
from domain.fairness import bucket_of, word_probability, words_mapping_to
from domain.games.base import (
    EnumeratedGame,
    ProvablyFairGame,
    Selection,
    edge_multiplier,
    reject_unknown,
    require,
)

SIDES = ("heads", "tails")
# The chance of either side, built once: `edge_multiplier` is memoised on its arguments.
_HALF = Fraction(1, 2)


class CoinFlip(ProvablyFairGame, EnumeratedGame):
    code = "coin"
    title = "Coin flip"

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"side"}, "coin")
        side = require(params, "side", "coin").strip().lower()
        if side not in SIDES:
            raise InvalidRequest("coin side is 'heads' or 'tails'")
        return Selection(side)

    def params(self, selection: Selection) -> dict[str, str]:
        return {"side": selection.kind}

    def selections(self) -> Iterable[Selection]:
        return [Selection(side) for side in SIDES]

    def outcome_from_words(self, words: Iterator[int]) -> int:
        return bucket_of(next(words), 2)

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        won = SIDES[outcome] == selection.kind
        return self.max_multiplier(selection, house_edge) if won else Fraction(0)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return edge_multiplier(_HALF, house_edge)

    def outcomes(self) -> Sequence[tuple[int, Fraction]]:
        return [(side, word_probability(words_mapping_to(side, 2))) for side in (0, 1)]

    def describe(self, outcome: int) -> str:
        return SIDES[outcome]
