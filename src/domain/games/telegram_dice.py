"""Games settled by an animated dice the bot itself sends (Telegram's `sendDice`).

Readings of the values are community conventions, not documented by Telegram, so each game's
winning values are data on the game object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import ClassVar

from domain.errors import InvalidRequest
from domain.games.base import (
    Selection,
    TelegramDiceGame,
    edge_multiplier,
    parse_int,
    reject_unknown,
    require,
)


class DiceRoll(TelegramDiceGame):
    """🎲: bet on the exact face, even/odd, or low (1-3) / high (4-6)."""

    code = "tg_dice"
    title = "Dice 🎲"
    emoji = "🎲"
    faces = 6
    _WINNING: ClassVar[Mapping[str, frozenset[int]]] = {
        "even": frozenset({2, 4, 6}),
        "odd": frozenset({1, 3, 5}),
        "low": frozenset({1, 2, 3}),
        "high": frozenset({4, 5, 6}),
    }

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"bet", "face"}, "🎲")
        kind = require(params, "bet", "🎲").strip().lower()
        if kind == "face":
            face = parse_int(require(params, "face", "a 🎲 face bet"), "face")
            if not 1 <= face <= self.faces:
                raise InvalidRequest("a 🎲 face is 1-6")
            return Selection(kind, face)
        if kind not in self._WINNING:
            raise InvalidRequest("🎲 bets are face, even, odd, low and high")
        if "face" in params:
            raise InvalidRequest(f"a 🎲 {kind} bet takes no face")
        return Selection(kind)

    def params(self, selection: Selection) -> dict[str, str]:
        if selection.kind == "face":
            return {"bet": "face", "face": str(selection.value)}
        return {"bet": selection.kind}

    def selections(self) -> Iterable[Selection]:
        yield from (Selection("face", f) for f in range(1, self.faces + 1))
        yield from (Selection(kind) for kind in self._WINNING)

    def _winning(self, selection: Selection) -> frozenset[int]:
        if selection.kind == "face":
            assert selection.value is not None
            return frozenset({selection.value})
        return self._WINNING[selection.kind]

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        if outcome in self._winning(selection):
            return self.max_multiplier(selection, house_edge)
        return Fraction(0)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return edge_multiplier(Fraction(len(self._winning(selection)), self.faces), house_edge)

    def describe(self, outcome: int) -> str:
        return f"🎲 {outcome}"


class HitOrMiss(TelegramDiceGame):
    """🎯 🏀 ⚽ 🎳: bet that the throw scores (hit) or does not (miss)."""

    def __init__(self, code: str, title: str, emoji: str, faces: int, hits: frozenset[int]) -> None:
        self.code = code
        self.title = title
        self.emoji = emoji
        self.faces = faces
        self.hits = hits

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"bet"}, self.emoji)
        kind = require(params, "bet", self.emoji).strip().lower()
        if kind not in ("hit", "miss"):
            raise InvalidRequest(f"{self.emoji} bets are 'hit' and 'miss'")
        return Selection(kind)

    def params(self, selection: Selection) -> dict[str, str]:
        return {"bet": selection.kind}

    def selections(self) -> Iterable[Selection]:
        return [Selection("hit"), Selection("miss")]

    def _winning(self, selection: Selection) -> frozenset[int]:
        if selection.kind == "hit":
            return self.hits
        return frozenset(range(1, self.faces + 1)) - self.hits

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        if outcome in self._winning(selection):
            return self.max_multiplier(selection, house_edge)
        return Fraction(0)

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return edge_multiplier(Fraction(len(self._winning(selection)), self.faces), house_edge)

    def describe(self, outcome: int) -> str:
        return f"{self.emoji} {outcome} ({'hit' if outcome in self.hits else 'miss'})"


DARTS = HitOrMiss("tg_darts", "Darts 🎯", "🎯", 6, frozenset({6}))  # bullseye
BOWLING = HitOrMiss("tg_bowling", "Bowling 🎳", "🎳", 6, frozenset({6}))  # strike
BASKETBALL = HitOrMiss("tg_basketball", "Basketball 🏀", "🏀", 5, frozenset({4, 5}))
FOOTBALL = HitOrMiss("tg_football", "Football ⚽", "⚽", 5, frozenset({3, 4, 5}))

SLOT_SYMBOLS = ("BAR", "GRAPES", "LEMON", "SEVEN")


def slot_reels(value: int) -> tuple[str, str, str]:
    """Left, middle, right reel of a 🎰 value 1-64 (the community's decoding)."""
    v = value - 1
    return (SLOT_SYMBOLS[v % 4], SLOT_SYMBOLS[(v // 4) % 4], SLOT_SYMBOLS[(v // 16) % 4])


class Slot(TelegramDiceGame):
    """🎰: three of a kind pays; three sevens is the jackpot. A fixed pay table."""

    code = "tg_slot"
    title = "Slot machine 🎰"
    emoji = "🎰"
    faces = 64
    uses_house_edge = False
    JACKPOT = Fraction(32)
    TRIPLE = Fraction(10)

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, set(), "🎰")
        return Selection("spin")

    def params(self, selection: Selection) -> dict[str, str]:
        return {}

    def selections(self) -> Iterable[Selection]:
        return [Selection("spin")]

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        left, middle, right = slot_reels(outcome)
        if not left == middle == right:
            return Fraction(0)
        return self.JACKPOT if left == "SEVEN" else self.TRIPLE

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return self.JACKPOT

    def describe(self, outcome: int) -> str:
        return "🎰 " + " ".join(slot_reels(outcome))
