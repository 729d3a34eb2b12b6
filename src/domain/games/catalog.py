"""Every game Croupier offers, by code, and the configuration each one runs with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from domain.bonuses import DEFAULT_CONTRIBUTIONS, FULL_CONTRIBUTION, validate_contribution
from domain.decimal_text import parse_decimal
from domain.errors import GameUnavailable, InvalidRequest, LimitExceeded
from domain.games.base import (
    MAX_RTP,
    MIN_RTP,
    Game,
    Selection,
    format_multiplier,
)

# Defined beside the games (mines caps its steps with it); re-exported where it always was.
from domain.games.base import payout_for as payout_for
from domain.games.coin import CoinFlip
from domain.games.crash import Crash
from domain.games.dice import Dice
from domain.games.limbo import Limbo
from domain.games.mines import Mines
from domain.games.plinko import Plinko
from domain.games.roulette import Roulette
from domain.games.telegram_dice import BASKETBALL, BOWLING, DARTS, FOOTBALL, DiceRoll, Slot
from domain.money import Money
from domain.quoting import excerpt

GAMES: Mapping[str, Game] = MappingProxyType(
    {
        game.code: game
        for game in (
            Dice(),
            CoinFlip(),
            Roulette(),
            Limbo(),
            Mines(),
            Plinko(),
            Crash(),
            DiceRoll(),
            Slot(),
            DARTS,
            BOWLING,
            BASKETBALL,
            FOOTBALL,
        )
    }
)

DEFAULT_HOUSE_EDGE = Fraction(1, 100)
# A house edge is a plain decimal of at most six places ("0.0125"): finer steps change no
# multiplier (they are cut to MULTIPLIER_DECIMALS), and a bounded denominator keeps the exact
# RTP check cheap whatever a client sends.
HOUSE_EDGE_PLACES = 6


def parse_house_edge(text: str) -> Fraction:
    """A house edge as staff type it ("0.02"); `InvalidRequest` for anything else, including
    "Infinity", "1e999999" and a thousand digits, before any arithmetic."""
    return Fraction(parse_decimal(text, "a house edge", places=HOUSE_EDGE_PLACES, example="0.02"))


def game_by_code(code: str) -> Game:
    try:
        return GAMES[code]
    except KeyError:
        raise GameUnavailable(
            f"there is no game {excerpt(code)}; games are {', '.join(sorted(GAMES))}"
        ) from None


@dataclass(frozen=True, slots=True)
class StakeLimits:
    """Per game and currency, in minor units."""

    min_stake: int
    max_stake: int
    max_payout: int

    def __post_init__(self) -> None:
        if not 0 < self.min_stake <= self.max_stake:
            raise InvalidRequest("stake limits need 0 < min_stake <= max_stake")
        if self.max_payout < self.max_stake:
            raise InvalidRequest("max_payout must be at least max_stake")

    def check(self, stake: Money, multiplier: Fraction) -> int:
        """The largest payout this bet can win; `LimitExceeded` when stake or payout is out of
        bounds."""
        self.check_stake(stake)
        payout = payout_for(stake.amount, multiplier)
        if payout > self.max_payout:
            raise LimitExceeded(
                f"this bet could pay {Money(payout, stake.currency)} at "
                f"{format_multiplier(multiplier)}x; a bet pays at most "
                f"{Money(self.max_payout, stake.currency)}",
                rule="max_payout",
                limit=Money(self.max_payout, stake.currency),
            )
        return payout

    def check_steps(self, stake: Money, multipliers: Sequence[Fraction], step: str = "step") -> int:
        """The largest payout a bet played in steps can reach within `max_payout`, its steps
        paying `multipliers` (never decreasing): the steps beyond are refused while it plays,
        so this is all it can win. `LimitExceeded` when the stake is out of bounds or even the
        first step would pay over the limit."""
        self.check_stake(stake)
        within = [
            p for p in (payout_for(stake.amount, m) for m in multipliers) if p <= self.max_payout
        ]
        if not within:
            first = multipliers[0]
            pays = Money(payout_for(stake.amount, first), stake.currency)
            raise LimitExceeded(
                f"the first {step} would pay {pays} "
                f"at {format_multiplier(first)}x; a game pays at most "
                f"{Money(self.max_payout, stake.currency)}: try a smaller stake",
                rule="max_payout",
                limit=Money(self.max_payout, stake.currency),
            )
        return max(within)

    def check_stake(self, stake: Money) -> None:
        """`LimitExceeded` unless `min_stake <= stake <= max_stake`."""
        if stake.amount < self.min_stake:
            raise LimitExceeded(
                f"the smallest stake is {Money(self.min_stake, stake.currency)}, not {stake}",
                rule="min_stake",
                limit=Money(self.min_stake, stake.currency),
            )
        if stake.amount > self.max_stake:
            raise LimitExceeded(
                f"the largest stake is {Money(self.max_stake, stake.currency)}, not {stake}",
                rule="max_stake",
                limit=Money(self.max_stake, stake.currency),
            )


@dataclass(frozen=True, slots=True)
class GameConfig:
    """How a game runs here: on or off, its house edge and its limits per currency. Data,
    changed by staff; validated so that no configuration can push the RTP out of range."""

    code: str
    enabled: bool = True
    house_edge: Fraction = DEFAULT_HOUSE_EDGE
    limits: Mapping[str, StakeLimits] = field(default_factory=dict)
    # The share of a stake that counts toward a bonus's wagering (docs/bonuses.md), in per
    # cent; None: the game's default (`domain.bonuses.DEFAULT_CONTRIBUTIONS`).
    bonus_contribution_pct: int | None = None

    def __post_init__(self) -> None:
        game = game_by_code(self.code)
        if self.bonus_contribution_pct is not None:
            validate_contribution(self.bonus_contribution_pct)
        if not 0 <= self.house_edge < 1 or self.house_edge.denominator > 10**HOUSE_EDGE_PLACES:
            raise InvalidRequest(
                f"a house edge is from 0 up to 1 with at most {HOUSE_EDGE_PLACES} decimals"
            )
        if game.uses_house_edge:
            worst = _rtp_violation(self.code, self.house_edge)
            if worst is not None:
                selection, rtp = worst
                raise InvalidRequest(
                    f"house edge {float(self.house_edge):.2%} gives {self.code} "
                    f"{game.params(selection)} an RTP of {float(rtp):.4%}, outside "
                    f"{float(MIN_RTP):.0%}-{float(MAX_RTP):.1%}"
                )
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))

    @property
    def game(self) -> Game:
        return game_by_code(self.code)

    @property
    def contribution_pct(self) -> int:
        """The per cent of a stake on this game that counts toward a bonus's wagering."""
        if self.bonus_contribution_pct is not None:
            return self.bonus_contribution_pct
        return DEFAULT_CONTRIBUTIONS.get(self.code, FULL_CONTRIBUTION)

    def limits_for(self, currency_code: str) -> StakeLimits:
        if not self.enabled:
            raise GameUnavailable(f"{self.code} is switched off")
        try:
            return self.limits[currency_code]
        except KeyError:
            raise GameUnavailable(f"{self.code} is not offered in {currency_code}") from None


@lru_cache(maxsize=256)
def _rtp_violation(code: str, house_edge: Fraction) -> tuple[Selection, Fraction] | None:
    # Configurations are built on every bet; the check is exact but not free, so each
    # (game, edge) pair is checked once per process.
    return check_rtp(game_by_code(code), house_edge)


def check_rtp(game: Game, house_edge: Fraction) -> tuple[Selection, Fraction] | None:
    """The first selection whose exact RTP is outside the allowed range, if any."""
    for selection in game.selections():
        rtp = game.rtp(selection, house_edge)
        if not MIN_RTP <= rtp <= MAX_RTP:
            return selection, rtp
    return None
