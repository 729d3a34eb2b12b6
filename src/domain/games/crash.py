"""Crash as a `Game`, so a round bet is a `Bet` on the one road: placed like any bet (limits,
standing, terms, caps), settled when its round ends (`Bet.settle`).

Selection: an automatic cash-out target ("target", hundredths) or none ("manual": the player
cashes out by hand, and rides to the cap at most). Outcome: the multiplier the bet was cashed
out at, in hundredths; 0 is a bet that rode into the crash. The round's crash point is not the
bet's outcome: it comes from the chain (domain/crash.py) and never from the bets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from itertools import chain

from domain.crash import MAX_MULTIPLIER, ONE_X, probability_at_least
from domain.errors import InvalidRequest
from domain.games.base import (
    Game,
    OutcomeSource,
    Selection,
    format_hundredths,
    parse_hundredths,
    reject_unknown,
)

MIN_TARGET = 101  # 1.01x: a target of 1.00x could only give the stake back
LOST = 0
MANUAL = Selection("manual")


class Crash(Game):
    code = "crash"
    title = "Crash"
    emoji = "🚀"
    source = OutcomeSource.CRASH_ROUND
    uses_house_edge = False  # the 1% edge is in the public formula

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"target"}, "crash")
        text = params.get("target", "").strip()
        if not text:
            return MANUAL
        target = parse_hundredths(text, "crash cash-out target")
        if not MIN_TARGET <= target <= MAX_MULTIPLIER:
            raise InvalidRequest(
                f"a crash cash-out target is from {format_hundredths(MIN_TARGET)} "
                f"to {format_hundredths(MAX_MULTIPLIER)}"
            )
        return Selection("target", target)

    def params(self, selection: Selection) -> dict[str, str]:
        if selection.value is None:
            return {}
        return {"target": format_hundredths(selection.value)}

    def selections(self) -> Iterable[Selection]:
        return chain(
            (MANUAL,), (Selection("target", t) for t in range(MIN_TARGET, MAX_MULTIPLIER + 1))
        )

    @staticmethod
    def ceiling(selection: Selection) -> int:
        """The most this selection can cash out at, in hundredths: its target, or the cap."""
        return MAX_MULTIPLIER if selection.value is None else selection.value

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        if outcome == LOST:
            return Fraction(0)
        if not ONE_X <= outcome <= self.ceiling(selection):
            raise InvalidRequest(
                f"a crash bet {self.params(selection) or 'without a target'} cannot cash out "
                f"at {format_hundredths(outcome)}x"
            )
        return Fraction(outcome, 100)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return Fraction(self.ceiling(selection), 100)

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """Exact, closed form: P(crash >= target) x target. A bet without a target depends on
        when the player cashes out; no stopping rule beats the best fixed target, and this is
        the RTP of riding to the cap."""
        ceiling = self.ceiling(selection)
        return probability_at_least(ceiling) * Fraction(ceiling, 100)

    def describe(self, outcome: int) -> str:
        if outcome == LOST:
            return "crashed before cashing out"
        return f"cashed out at {format_hundredths(outcome)}x"
