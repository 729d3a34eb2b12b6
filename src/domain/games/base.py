"""What every game is: a bet selection, an outcome space and a multiplier per outcome.

A game never sees the house's position or the player's history: its only inputs are the
player's selection, the outcome (from the seeds or from Telegram's dice) and the house edge,
which is configuration."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from domain.decimal_text import parse_decimal
from domain.errors import InvalidRequest
from domain.quoting import excerpt

# Multipliers derived from a house edge are cut (never rounded up) to this many decimals, so the
# player sees an exact decimal and the RTP never exceeds 1 - edge.
MULTIPLIER_DECIMALS = 4
MIN_RTP = Fraction(90, 100)
MAX_RTP = Fraction(995, 1000)


class OutcomeSource(enum.StrEnum):
    PROVABLY_FAIR = "provably_fair"  # from the player's seed pair and nonce
    TELEGRAM_DICE = "telegram_dice"  # the value of a dice the bot itself sent
    CRASH_ROUND = "crash_round"  # the shared crash round the bet rode (domain/crash.py)


@dataclass(frozen=True, slots=True)
class Selection:
    """What the player bet on: a bet type and, for some types, a number (a face, a roulette
    number, a target in hundredths)."""

    kind: str
    value: int | None = None


class Game(ABC):
    code: str
    title: str
    source: OutcomeSource
    emoji: str = ""
    # Games whose multipliers follow from the configured house edge; the others have a fixed
    # pay table (roulette's wheel, the slot's triples) or a public formula (limbo).
    uses_house_edge: bool = True

    @abstractmethod
    def parse(self, params: Mapping[str, str]) -> Selection:
        """The selection from wire parameters; `InvalidRequest` names what is wrong."""

    @abstractmethod
    def params(self, selection: Selection) -> dict[str, str]:
        """The canonical parameters of a selection (what is stored and shown)."""

    @abstractmethod
    def selections(self) -> Iterable[Selection]:
        """Every selection a player can make, for exact RTP checks."""

    @abstractmethod
    def multiplier(self, selection: Selection, outcome: int, house_edge: Fraction) -> Fraction:
        """The payout multiplier of the stake for this outcome; 0 is a loss."""

    @abstractmethod
    def max_multiplier(self, selection: Selection, house_edge: Fraction) -> Fraction: ...

    @abstractmethod
    def describe(self, outcome: int) -> str:
        """The outcome as a player reads it."""

    def describe_bet(self, selection: Selection, outcome: int) -> str:
        """The outcome of a bet on `selection`; a game whose outcome reads differently with
        the bet (plinko's path needs its row count) overrides this."""
        return self.describe(outcome)

    @abstractmethod
    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """Exact return to player of a selection (rational arithmetic, never sampling)."""


class EnumeratedGame(Game):
    """A game whose outcome space is small enough to list."""

    @abstractmethod
    def outcomes(self) -> Sequence[tuple[int, Fraction]]:
        """The outcome space with the exact probability of each outcome."""

    def rtp(self, selection: Selection, house_edge: Fraction) -> Fraction:
        """Exact return to player, by enumerating the outcome space."""
        return sum(
            (p * self.multiplier(selection, o, house_edge) for o, p in self.outcomes()),
            Fraction(0),
        )


class ProvablyFairGame(Game):
    source = OutcomeSource.PROVABLY_FAIR

    @abstractmethod
    def outcome_from_words(self, words: Iterator[int]) -> int:
        """The outcome from the seed pair's stream of 32-bit words."""

    def outcome_for(self, selection: Selection, words: Iterator[int]) -> int:
        """The outcome of a bet on `selection`. Most games draw the same outcome whatever is
        bet; a game whose draw depends on the bet (plinko: one word per row) overrides this."""
        return self.outcome_from_words(words)


class SteppedGame(ProvablyFairGame):
    """A provably fair game played in steps (mines): the seeds fix its field when the bet is
    placed (the bet takes its nonce then), the player's steps on that field decide the outcome,
    and the bet stays placed until the game ends, as a Telegram dice bet waits for its dice.
    It is opened only by its own use case, which keeps the field beside the bet."""

    step_name = "step"  # what a player calls one step, in refusals ("safe tile")

    def outcome_from_words(self, words: Iterator[int]) -> int:
        raise InvalidRequest(
            f"a {self.code} outcome comes from the player's steps on the field the seeds fix"
        )

    @abstractmethod
    def replay(self, words: Iterator[int], selection: Selection, steps: Sequence[int]) -> int:
        """The outcome of these steps on the field the words fix (what reconcile recomputes)."""

    @abstractmethod
    def step_multipliers(self, selection: Selection, house_edge: Fraction) -> Sequence[Fraction]:
        """What stopping pays after 1, 2, ... steps, never decreasing. A stepped bet is capped
        at its payout limit rather than refused whole: it opens when the first step pays
        within the limit, and a step that would pay over it is refused (the player stops)."""


class TelegramDiceGame(EnumeratedGame):
    source = OutcomeSource.TELEGRAM_DICE
    faces: int

    def outcome_from_dice(self, value: int) -> int:
        if not 1 <= value <= self.faces:
            raise InvalidRequest(f"a {self.emoji} dice shows 1-{self.faces}, not {value}")
        return value

    def outcomes(self) -> Sequence[tuple[int, Fraction]]:
        # Telegram does not document the distribution; tables assume it is uniform and live
        # monitoring must check that.
        return [(v, Fraction(1, self.faces)) for v in range(1, self.faces + 1)]


# Pure functions of exact values, each twice a bet (edge_multiplier: its limits and its
# settlement; format_multiplier: its answer and its event), so each distinct value is computed
# once a process. Keyed by numerators and denominators, not by the Fractions: a Fraction is
# kept in lowest terms, so the pair is its value, and a Fraction's own hash (a modular inverse
# on every call) cost more than the lookup saved (`functools.lru_cache`). Bounded: a game's
# multipliers depend on its edge and the bet's selection, a small set per game; past the bound
# a memo starts again.
MEMO_LIMIT = 4096
_edge_multipliers: dict[tuple[int, int, int, int], Fraction] = {}
_multiplier_texts: dict[tuple[int, int], str] = {}


def edge_multiplier(win_probability: Fraction, house_edge: Fraction) -> Fraction:
    """(1 - edge) / p, cut to MULTIPLIER_DECIMALS decimals."""
    key = (
        win_probability.numerator,
        win_probability.denominator,
        house_edge.numerator,
        house_edge.denominator,
    )
    found = _edge_multipliers.get(key)
    if found is None:
        scale = 10**MULTIPLIER_DECIMALS
        found = Fraction(((1 - house_edge) / win_probability * scale).__floor__(), scale)
        if len(_edge_multipliers) >= MEMO_LIMIT:
            _edge_multipliers.clear()
        _edge_multipliers[key] = found
    return found


def payout_for(stake: int, multiplier: Fraction) -> int:
    """Stake × multiplier, rounded down to the minor unit: the house never pays a fraction.
    Integer floor division of the exact product (a Fraction's denominator is positive), the
    same number as flooring the Fraction, without building one for every bet."""
    return stake * multiplier.numerator // multiplier.denominator


def format_multiplier(multiplier: Fraction) -> str:
    """An exact decimal string ("1.98", "36"); multipliers are always finite decimals."""
    key = (multiplier.numerator, multiplier.denominator)
    text = _multiplier_texts.get(key)
    if text is None:
        value = Decimal(multiplier.numerator) / Decimal(multiplier.denominator)
        text = format(value.normalize(), "f")
        if len(_multiplier_texts) >= MEMO_LIMIT:
            _multiplier_texts.clear()
        _multiplier_texts[key] = text
    return text


def parse_hundredths(text: str, what: str) -> int:
    """ "50.5" -> 5050; a plain decimal of bounded length with at most two decimals: no
    exponent, no sign, no infinity (parse_decimal holds it before any arithmetic)."""
    return int(parse_decimal(text, what, places=2, example="50.00") * 100)


def format_hundredths(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def parse_int(text: str, what: str) -> int:
    return int(parse_decimal(text, what, places=0, example="7", signed=True))


def require(params: Mapping[str, str], key: str, game: str) -> str:
    try:
        return params[key]
    except KeyError:
        raise InvalidRequest(f"{game} needs the parameter {key!r}") from None


def reject_unknown(params: Mapping[str, str], allowed: set[str], game: str) -> None:
    extra = sorted(set(params) - allowed)
    if extra:
        raise InvalidRequest(
            f"{game} does not take {excerpt(', '.join(extra))}; it takes "
            f"{', '.join(sorted(allowed)) or 'no parameters'}"
        )
