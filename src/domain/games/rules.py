"""A game's rules as a player is shown them before a bet (UKGC RTS 3): its return to player, its
house edge, its payout table where it has one, the most it can pay and where its outcomes come
from.

Every number here is computed from the game objects themselves, by the same `Game.rtp` and
`Game.max_multiplier` the RTP tests enumerate and the configuration check runs (never a
typed constant), at the house edge the game is configured with. Percentages are cut the
player's way: the RTP is rounded down and the house edge up, so neither flatters the house."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache

from domain.errors import InvalidRequest
from domain.games.base import (
    EnumeratedGame,
    Game,
    OutcomeSource,
    Selection,
    TelegramDiceGame,
)
from domain.games.catalog import game_by_code

# Limbo and crash take any target of up to 1,000,000x / 1,000x in hundredths: a hundred million
# selections, too many to enumerate on a player's tap. Their RTP is a public formula (0.99 / M
# up to the word rounding), so the rules quote it over every target from 1.01x to 10x (where
# the rounding matters most) and the round targets above, as tests/unit/test_games.py counts.
QUOTED_TARGETS: tuple[int, ...] = (*range(101, 1001), 2000, 10_000, 100_000, 10**6, 10**8)
PERCENT_PLACES = 2


@dataclass(frozen=True, slots=True)
class PayLine:
    """One way a selection wins: it pays `multiplier` times the stake with `probability`."""

    selection: Selection
    multiplier: Fraction
    probability: Fraction


@dataclass(frozen=True, slots=True)
class GameRules:
    code: str
    source: OutcomeSource
    house_edge_configured: Fraction
    rtp_low: Fraction  # the lowest exact RTP over the game's selections
    rtp_high: Fraction  # the highest; equal to rtp_low when every bet returns the same
    max_multiplier: Fraction  # the most any selection pays, times the stake
    pay_table: tuple[PayLine, ...]  # Telegram dice games; empty for the others

    @property
    def house_edge_low(self) -> Fraction:
        return 1 - self.rtp_high

    @property
    def house_edge_high(self) -> Fraction:
        return 1 - self.rtp_low


def rules_selections(game: Game) -> Iterable[Selection]:
    """The selections the rules quote: all of them, or (limbo, crash) the quoted targets the
    game takes, and crash's bet without a target."""
    if game.code not in ("limbo", "crash"):
        yield from game.selections()
        return
    if game.code == "crash":
        yield Selection("manual")
    for target in QUOTED_TARGETS:
        selection = Selection("target", target)
        try:  # the game's own bounds decide which targets it takes
            game.parse(game.params(selection))
        except InvalidRequest:
            continue
        yield selection


def game_rules(game: Game, house_edge: Fraction) -> GameRules:
    """The rules of `game` at `house_edge` (cached: the count is exact but not free)."""
    return _rules(game.code, house_edge)


@lru_cache(maxsize=128)
def _rules(code: str, house_edge: Fraction) -> GameRules:
    game = game_by_code(code)
    selections = list(rules_selections(game))
    rtps = [game.rtp(s, house_edge) for s in selections]
    return GameRules(
        code=code,
        source=game.source,
        house_edge_configured=house_edge,
        rtp_low=min(rtps),
        rtp_high=max(rtps),
        max_multiplier=max(game.max_multiplier(s, house_edge) for s in selections),
        pay_table=tuple(pay_table(game, house_edge)),
    )


def pay_table(game: Game, house_edge: Fraction) -> Sequence[PayLine]:
    """Each selection of a Telegram dice game with what it pays and how likely: the dice's
    values taken as uniform (Telegram does not document it; live monitoring checks it), so
    the RTP of a line is its multiplier times its probability, summed."""
    if not isinstance(game, TelegramDiceGame):
        return []
    return [line for s in game.selections() for line in _lines(game, s, house_edge)]


def _lines(game: EnumeratedGame, selection: Selection, house_edge: Fraction) -> list[PayLine]:
    by_multiplier: dict[Fraction, Fraction] = {}
    for outcome, probability in game.outcomes():
        multiplier = game.multiplier(selection, outcome, house_edge)
        if multiplier > 0:
            by_multiplier[multiplier] = by_multiplier.get(multiplier, Fraction(0)) + probability
    return [PayLine(selection, m, p) for m, p in sorted(by_multiplier.items())]


def percent(share: Fraction, *, up: bool = False) -> str:
    """A share as a percentage with two decimals, cut down ("99.00") or up for an edge."""
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    step = Decimal(1).scaleb(-PERCENT_PLACES)
    return str(value.quantize(step, rounding=ROUND_CEILING if up else ROUND_FLOOR))
