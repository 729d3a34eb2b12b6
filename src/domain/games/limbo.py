"""Provably fair limbo: the result is a multiplier; the bet wins when it reaches the target.

result = max(1, floor(0.99 * 1e8 / (f * 1e8) * 100) / 100), computed with IEEE doubles exactly
as public verifiers do (JavaScript numbers are the same doubles), so P(result >= M) ~ 0.99 / M.
The 1% edge is part of the public formula, not configuration."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction

from domain.errors import InvalidRequest
from domain.fairness import UINT32_SPACE, to_float, word_probability
from domain.games.base import (
    ProvablyFairGame,
    Selection,
    format_hundredths,
    parse_hundredths,
    reject_unknown,
    require,
)

MIN_TARGET = 101  # 1.01x, in hundredths
MAX_TARGET = 100_000_000  # 1,000,000x
# A word of zero would divide by zero; it, and anything beyond, reads as the cap.
RESULT_CAP = MAX_TARGET


def limbo_result(word: int) -> int:
    """The result in hundredths for one 32-bit word."""
    f = to_float(word)
    if f == 0.0:
        return RESULT_CAP
    hundredths = math.floor(0.99 * 1e8 / (f * 1e8) * 100)
    return max(100, min(hundredths, RESULT_CAP))


def winning_words(target: int) -> int:
    """How many of the 2**32 words give a result >= target. The result never rises as the word
    grows (every step of the formula is a monotone IEEE operation), so the winners are exactly
    the words 0..w*, and w* is found by bisection: an exact count, not a sample."""
    low, high = 0, UINT32_SPACE - 1  # limbo_result(0) is the cap, so word 0 always wins
    while low < high:
        mid = (low + high + 1) // 2
        if limbo_result(mid) >= target:
            low = mid
        else:
            high = mid - 1
    return low + 1


class Limbo(ProvablyFairGame):
    code = "limbo"
    title = "Limbo"
    uses_house_edge = False

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"target"}, "limbo")
        target = parse_hundredths(require(params, "target", "limbo"), "limbo target")
        if not MIN_TARGET <= target <= MAX_TARGET:
            raise InvalidRequest(
                f"a limbo target is from {format_hundredths(MIN_TARGET)} "
                f"to {format_hundredths(MAX_TARGET)}"
            )
        return Selection("target", target)

    def params(self, selection: Selection) -> dict[str, str]:
        assert selection.value is not None
        return {"target": format_hundredths(selection.value)}

    def selections(self) -> Iterable[Selection]:
        return (Selection("target", t) for t in range(MIN_TARGET, MAX_TARGET + 1))

    def outcome_from_words(self, words: Iterator[int]) -> int:
        return limbo_result(next(words))

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        assert selection.value is not None
        return (
            self.max_multiplier(selection, house_edge)
            if outcome >= selection.value
            else (Fraction(0))
        )

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        assert selection.value is not None
        return Fraction(selection.value, 100)

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        assert selection.value is not None
        return word_probability(winning_words(selection.value)) * self.max_multiplier(
            selection, house_edge
        )

    def describe(self, outcome: int) -> str:
        return f"{format_hundredths(outcome)}x"
