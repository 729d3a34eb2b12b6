"""What the Mini App lobby lists: the games a player can play from the page, with their limits
per currency and a description of the parameters each one takes, from which the page builds
its forms (a new game needs an entry here, not a new screen, unless it plays in steps).

The descriptions are about presentation (labels, defaults, the ranges a form offers); the
game's own `parse` stays the judge of what is accepted, and its refusal is what the player
reads when a form lets something through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

import msgspec

from domain.crash import MAX_MULTIPLIER as CRASH_MAX
from domain.games.base import OutcomeSource, format_hundredths
from domain.games.catalog import GameConfig
from domain.games.crash import MIN_TARGET as CRASH_MIN
from domain.games.limbo import MAX_TARGET as LIMBO_MAX
from domain.games.limbo import MIN_TARGET as LIMBO_MIN
from domain.games.roulette import PAYS


class ParamView(msgspec.Struct, omit_defaults=True):
    """One parameter of a game: a `choice` among `choices`, or a `number` from `min` to `max`
    with `places` decimals. `when` shows (and sends) it only while another parameter has one
    of the listed values (roulette's number, for a straight, dozen or column bet)."""

    name: str
    label: str
    type: str  # "choice" | "number"
    default: str
    choices: list[str] | None = None
    min: str | None = None
    max: str | None = None
    places: int | None = None
    when: dict[str, list[str]] | None = None


class StakeLimitsView(msgspec.Struct):
    min_stake: int
    max_stake: int
    max_payout: int


class GameOfferView(msgspec.Struct):
    """A game on offer. `kind` says how it is played: `instant` through `POST /play`, settled
    at once; `steps` through its own routes (mines: open, reveal, cash out); `rounds` on the
    shared rounds of its own routes (crash: the round, a bet on it, a cash-out)."""

    code: str
    title: str
    kind: str
    house_edge: str | None  # None for games with a fixed table (roulette) or formula (limbo)
    limits: dict[str, StakeLimitsView]
    params: list[ParamView]


class GamesView(msgspec.Struct):
    games: list[GameOfferView]


def _choice(name: str, label: str, choices: Sequence[str], default: str) -> ParamView:
    return ParamView(name, label, "choice", default, choices=list(choices))


def _number(name: str, label: str, low: str, high: str, default: str, places: int = 0) -> ParamView:
    return ParamView(name, label, "number", default, min=low, max=high, places=places)


# The page's own games: provably fair ones, and crash, whose outcome is its round's (from a
# public hash chain). Telegram's emoji games are thrown in the bot's chat.
ON_THE_PAGE = frozenset({OutcomeSource.PROVABLY_FAIR, OutcomeSource.CRASH_ROUND})

# Keyed by game code, in the order the lobby lists them. Entries for games not in this build's
# catalog are inert: a game is listed only when its configuration exists and is enabled.
OFFERS: Mapping[str, tuple[str, Sequence[ParamView]]] = MappingProxyType(
    {
        "dice": (
            "instant",
            (
                _choice("direction", "Win when the roll is", ("under", "over"), "under"),
                # under takes 1.00-98.00, over 2.00-99.00 (a win chance of 1% to 98%)
                _number("target", "Target", "1.00", "99.00", "50.00", places=2),
            ),
        ),
        "coin": ("instant", (_choice("side", "Call it", ("heads", "tails"), "heads"),)),
        "limbo": (
            "instant",
            (
                _number(
                    "target",
                    "Target multiplier",
                    format_hundredths(LIMBO_MIN),
                    format_hundredths(LIMBO_MAX),
                    "2.00",
                    places=2,
                ),
            ),
        ),
        "roulette": (
            "instant",
            (
                _choice("bet", "Bet on", list(PAYS), "red"),
                ParamView(
                    "number",
                    "Number",
                    "number",
                    "1",
                    min="0",
                    max="36",
                    places=0,
                    when={"bet": ["straight", "dozen", "column"]},
                ),
            ),
        ),
        "plinko": (
            "instant",
            (
                _number("rows", "Rows", "8", "16", "12"),
                _choice("risk", "Risk", ("low", "medium", "high"), "medium"),
            ),
        ),
        "mines": ("steps", (_number("mines", "Mines", "1", "24", "3"),)),
        # The form sends it as `auto_cash_out`; empty (the default) cashes out by hand.
        "crash": (
            "rounds",
            (
                _number(
                    "target",
                    "Automatic cash-out at",
                    format_hundredths(CRASH_MIN),
                    format_hundredths(CRASH_MAX),
                    "",
                    places=2,
                ),
            ),
        ),
    }
)


def games_view(configs: Sequence[GameConfig]) -> GamesView:
    """The enabled games of the page (`ON_THE_PAGE`) that take a stake in at least one
    currency, in the lobby's order. Telegram's emoji games are thrown in the bot's chat."""
    by_code = {c.code: c for c in configs}
    offers: list[GameOfferView] = []
    for code, (kind, params) in OFFERS.items():
        config = by_code.get(code)
        if config is None or not config.enabled or not config.limits:
            continue
        game = config.game
        if game.source not in ON_THE_PAGE:
            continue
        edge = config.house_edge
        offers.append(
            GameOfferView(
                code=code,
                title=game.title,
                kind=kind,
                house_edge=(
                    format(Decimal(edge.numerator) / Decimal(edge.denominator), "f")
                    if game.uses_house_edge
                    else None
                ),
                limits={
                    currency: StakeLimitsView(lim.min_stake, lim.max_stake, lim.max_payout)
                    for currency, lim in sorted(config.limits.items())
                },
                params=list(params),
            )
        )
    return GamesView(offers)
