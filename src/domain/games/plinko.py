"""Provably fair plinko: a ball drops through 8-16 rows of pegs into one of rows + 1 slots.

Stake's rule: one float per row, floor(f * 2) (0 = left, 1 = right). The outcome is the path:
bit i (least significant first) is 1 when the ball went right at row i, so a drop over r rows
is an integer below 2**r, and its slot is the number of rights (the popcount), 0 to r. Exactly
half of the 2**32 words go right, so the rows are fair coins and slot s has the exact
probability C(r, s) / 2**r: every RTP here is an exact sum over r + 1 slots.

The pay tables are stated at a 1% house edge (REFERENCE_EDGE) and scale with the configured
edge: multiplier = table * (1 - edge) / (1 - REFERENCE_EDGE), cut to MULTIPLIER_DECIMALS
decimals. At the default 1% edge the tables are paid as written; an edge that would put any
table's RTP outside [MIN_RTP, MAX_RTP] is refused by GameConfig, like every game's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from functools import lru_cache
from math import comb

from domain.errors import InvalidField, InvalidRequest
from domain.games.base import (
    MULTIPLIER_DECIMALS,
    ProvablyFairGame,
    Selection,
    reject_unknown,
    require,
)
from domain.quoting import excerpt

MIN_ROWS = 8
MAX_ROWS = 16
RISKS = ("low", "medium", "high")
REFERENCE_EDGE = Fraction(1, 100)


def _table(half: str, rows: int) -> tuple[Fraction, ...]:
    """A symmetric table from its left half, edge slot first, middle slot included."""
    left = [Fraction(m) for m in half.split()]
    if len(left) != rows // 2 + 1:
        raise AssertionError(f"a {rows}-row table has {rows // 2 + 1} slots on its left half")
    right = left[::-1][1:] if rows % 2 == 0 else left[::-1]
    return (*left, *right)


# Multipliers of the stake per slot (slot 0 is the far left), at REFERENCE_EDGE, shaped like
# the tables the industry publishes: the higher the risk, the more the edges pay and the less
# the middle does. Exact RTPs are in docs/fairness.md and tested.
_HALVES: dict[int, dict[str, str]] = {
    8: {"low": "5.6 2.1 1.1 1 0.5", "medium": "13 3 1.3 0.7 0.4", "high": "29 4 1.5 0.3 0.2"},
    9: {"low": "5.6 2 1.6 1 0.7", "medium": "18 4 1.7 0.9 0.5", "high": "43 7 2 0.6 0.2"},
    10: {
        "low": "8.9 3 1.4 1.1 1 0.5",
        "medium": "22 5 2 1.4 0.6 0.4",
        "high": "76 10 3 0.9 0.3 0.2",
    },
    11: {
        "low": "8.4 3 1.9 1.3 1 0.7",
        "medium": "24 6 3 1.8 0.7 0.5",
        "high": "120 14 5.2 1.4 0.4 0.2",
    },
    12: {
        "low": "10 3 1.6 1.4 1.1 1 0.5",
        "medium": "33 11 4 2 1.1 0.6 0.3",
        "high": "170 24 8.1 2 0.7 0.2 0.2",
    },
    13: {
        "low": "8.1 4 3 1.9 1.2 0.9 0.7",
        "medium": "43 13 6 3 1.3 0.7 0.4",
        "high": "260 37 11 4 1 0.2 0.2",
    },
    14: {
        "low": "7.1 4 1.9 1.4 1.3 1.1 1 0.5",
        "medium": "58 15 7 4 1.9 1 0.5 0.2",
        "high": "420 56 18 5 1.9 0.3 0.2 0.2",
    },
    15: {
        "low": "15 8 3 2 1.5 1.1 1 0.7",
        "medium": "88 18 11 5 3 1.3 0.5 0.3",
        "high": "620 83 27 8 3 0.5 0.2 0.2",
    },
    16: {
        "low": "16 9 2 1.4 1.4 1.2 1.1 1 0.5",
        "medium": "110 41 10 5 3 1.5 1 0.5 0.3",
        "high": "1000 130 26 9 4 2 0.2 0.2 0.2",
    },
}
TABLES: Mapping[tuple[int, str], tuple[Fraction, ...]] = {
    (rows, risk): _table(half, rows)
    for rows, by_risk in _HALVES.items()
    for risk, half in by_risk.items()
}


def slot_probability(rows: int, slot: int) -> Fraction:
    """C(rows, slot) / 2**rows: the exact chance of landing in `slot`."""
    return Fraction(comb(rows, slot), 2**rows)


def slot_of(path: int) -> int:
    """The number of rights on the path."""
    return path.bit_count()


def drop(words: Iterator[int], rows: int) -> int:
    """The path of a ball over `rows` rows: word i is row i's float, right when f >= 1/2,
    i.e. floor(f * 2) = 1, which for a 32-bit word is its top bit."""
    path = 0
    for row in range(rows):
        path |= (next(words) >> 31) << row
    return path


def path_text(path: int, rows: int) -> str:
    """ "LRRL…", row 0 first."""
    return "".join("R" if path >> row & 1 else "L" for row in range(rows))


def _rows(selection: Selection) -> int:
    assert selection.value is not None
    return selection.value


@lru_cache(maxsize=1024)
def _scaled(rows: int, risk: str, house_edge: Fraction) -> tuple[Fraction, ...]:
    if house_edge == REFERENCE_EDGE:
        return TABLES[(rows, risk)]
    scale = 10**MULTIPLIER_DECIMALS
    factor = (1 - house_edge) / (1 - REFERENCE_EDGE)
    return tuple(Fraction((m * factor * scale).__floor__(), scale) for m in TABLES[(rows, risk)])


class Plinko(ProvablyFairGame):
    code = "plinko"
    title = "Plinko"

    def parse(self, params: Mapping[str, str]) -> Selection:
        reject_unknown(params, {"rows", "risk"}, "plinko")
        rows_text = require(params, "rows", "plinko").strip()
        if not rows_text.isascii() or not rows_text.isdigit() or len(rows_text) > 2:
            raise InvalidField(
                "params.rows",
                f"plinko rows are a whole number from {MIN_ROWS} to {MAX_ROWS}, "
                f"not {excerpt(rows_text)}",
            )
        rows = int(rows_text)
        if not MIN_ROWS <= rows <= MAX_ROWS:
            raise InvalidField(
                "params.rows", f"plinko rows are from {MIN_ROWS} to {MAX_ROWS}, not {rows}"
            )
        risk = require(params, "risk", "plinko").strip().lower()
        if risk not in RISKS:
            raise InvalidField(
                "params.risk", f"plinko risk is {', '.join(RISKS)}; not {excerpt(risk)}"
            )
        return Selection(risk, rows)

    def params(self, selection: Selection) -> dict[str, str]:
        return {"rows": str(_rows(selection)), "risk": selection.kind}

    def selections(self) -> Iterable[Selection]:
        return [Selection(risk, rows) for rows in range(MIN_ROWS, MAX_ROWS + 1) for risk in RISKS]

    def outcome_from_words(self, words: Iterator[int]) -> int:
        raise InvalidRequest("a plinko drop depends on its rows: give the parameters rows and risk")

    def outcome_for(self, selection: Selection, words: Iterator[int]) -> int:
        return drop(words, _rows(selection))

    def table(self, selection: Selection, house_edge: Fraction) -> tuple[Fraction, ...]:
        """The multiplier of each slot, slot 0 first, at this house edge."""
        return _scaled(_rows(selection), selection.kind, house_edge)

    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        rows = _rows(selection)
        if not 0 <= outcome < 2**rows:
            raise InvalidRequest(f"a plinko path over {rows} rows is below {2**rows}")
        return self.table(selection, house_edge)[slot_of(outcome)]

    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction:
        return max(self.table(selection, house_edge))

    def distribution(
        self, selection: Selection, house_edge: Fraction
    ) -> tuple[tuple[Fraction, Fraction], ...]:
        """(multiplier, probability) of every slot, slot 0 first."""
        rows = _rows(selection)
        return tuple(
            (m, slot_probability(rows, s)) for s, m in enumerate(self.table(selection, house_edge))
        )

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """Σ C(rows, s) / 2**rows × multiplier(s) over the rows + 1 slots: exact, and the
        same sum as over all 2**rows paths (every path to slot s pays the same)."""
        return sum((p * m for m, p in self.distribution(selection, house_edge)), Fraction(0))

    def describe(self, outcome: int) -> str:
        # Without the bet the row count is unknown, so the path is told by its rights.
        rights = [str(row + 1) for row in range(outcome.bit_length()) if outcome >> row & 1]
        where = f"right at rows {', '.join(rights)}" if rights else "never right"
        return f"slot {slot_of(outcome)} ({where})"

    def describe_bet(self, selection: Selection, outcome: int) -> str:
        rows = _rows(selection)
        return f"slot {slot_of(outcome)} of 0-{rows}, path {path_text(outcome, rows)}"
