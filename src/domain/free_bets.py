"""Free bets: a stake the house pays on a chosen game, the winnings a bonus (docs/bonuses.md,
"Free bets").

A free-bet campaign gives each player it reaches `count` free bets of one `stake` on one
provably fair game with fixed parameters (`FreeBetTerms`). Granting moves no money. Playing
one decides it with the game's own engine on the player's seed pair and next nonce, exactly
as a bet would be decided, and the winnings, net of the stake (the house's stake is not
returned) and capped at the campaign's `max_win`, become a bonus on the campaign's terms.

One free bet moves through one state machine, each end once:

    granted ──play────▶ played    (before its expiry; won or lost)
       └─────expire──▶ expired   (its time ran out unplayed)
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final

from domain.bets import FairnessProof
from domain.errors import IllegalTransition, InvalidField, InvalidRequest, LimitExceeded
from domain.games.base import format_multiplier, payout_for
from domain.games.catalog import game_by_code
from domain.money import Currency, Money
from domain.verification import check_outcome

# The games a free bet may be on: provably fair games decided in one draw. Not Telegram's
# dice (decided by a dice the bot sends, later), not mines (played in steps on a field) and
# not crash (a shared round with its own road): their rounds have roads of their own.
FREE_BET_GAMES: Final = frozenset({"plinko", "limbo", "dice", "coin", "roulette"})
MAX_FREE_BETS: Final = 100  # free bets per player per campaign
MIN_EXPIRY: Final = timedelta(hours=1)
MAX_EXPIRY: Final = timedelta(days=365)


class FreeBetState(enum.StrEnum):
    GRANTED = "granted"
    PLAYED = "played"
    EXPIRED = "expired"


class FreeBetUnavailable(LimitExceeded):
    """The free bet cannot be played: `rule` is `expired` (its time ran out) or `played` (it
    was played already; a replay answers the play, so this is only a stale view)."""

    code = "free_bet_unavailable"

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message, rule=rule)


@dataclass(frozen=True, slots=True)
class FreeBetTerms:
    """What a free-bet campaign gives each player: `count` free bets of `stake` on `game`
    with `params` (the game's own parameters, stored canonical), each to be played within
    `expires_after` of the grant."""

    game: str
    params: Mapping[str, str]
    stake: Money
    count: int
    expires_after: timedelta

    def __post_init__(self) -> None:
        if self.game not in FREE_BET_GAMES:
            raise InvalidField(
                "free_bet.game", f"a free bet is on one of {', '.join(sorted(FREE_BET_GAMES))}"
            )
        try:
            game = game_by_code(self.game)
            canonical = game.params(game.parse(self.params))
        except InvalidRequest as error:
            raise InvalidField("free_bet.params", error.message) from error
        object.__setattr__(self, "params", MappingProxyType(dict(canonical)))
        self.stake.require_positive()
        if not 1 <= self.count <= MAX_FREE_BETS:
            raise InvalidField("free_bet.count", f"a player gets 1-{MAX_FREE_BETS} free bets")
        if not MIN_EXPIRY <= self.expires_after <= MAX_EXPIRY:
            raise InvalidField("free_bet.expires_after", "a free bet expires after 1 h to 365 d")


def free_bet_winnings(payout: Money, stake: Money, max_win: Money) -> Money:
    """What a played free bet gives as a bonus: the payout less the stake the house paid,
    never below zero, at most `max_win`. A 10 ⭐ free bet paying 5.6x (56 ⭐) wins 46 ⭐; at
    0.5x (5 ⭐) it wins nothing; at 1000x capped at 200 ⭐ it wins 200 ⭐."""
    net = max(payout.amount - stake.amount, 0)
    return Money(min(net, max_win.amount), stake.currency)


@dataclass(frozen=True, slots=True)
class FreeBetPlay:
    """How a free bet was decided, with its proof: the seed pair's commitment, the client
    seed and the nonce, so the player verifies it as any bet once the pair is rotated."""

    proof: FairnessProof
    outcome: int
    description: str  # the outcome as a player reads it
    multiplier: Fraction
    house_edge: Fraction  # the game's edge the multiplier was computed with
    payout: Money  # stake x multiplier, rounded down: what a bet would have paid
    winnings: Money  # free_bet_winnings: the bonus granted (0: nothing granted)
    played_at: datetime
    bonus_id: uuid.UUID | None = None  # the bonus the winnings became

    @property
    def won(self) -> bool:
        return self.winnings.amount > 0

    @property
    def multiplier_text(self) -> str:
        return format_multiplier(self.multiplier)


@dataclass(frozen=True, slots=True)
class FreeBet:
    id: uuid.UUID
    player_id: int
    campaign: str
    game: str
    params: Mapping[str, str]
    stake: Money
    max_win: Money
    granted_at: datetime
    expires_at: datetime
    state: FreeBetState = FreeBetState.GRANTED
    play: FreeBetPlay | None = None
    expired_at: datetime | None = None

    def __post_init__(self) -> None:
        self.stake.require_positive()
        self.max_win.require_positive()
        if self.max_win.currency != self.stake.currency:
            raise InvalidField("max_win", "a free bet's cap is in its stake's currency")
        if self.expires_at <= self.granted_at:
            raise InvalidField("expires_at", "a free bet expires after it is granted")
        if (self.state is FreeBetState.PLAYED) != (self.play is not None):
            raise ValueError("a free bet has its play exactly when it was played")
        if (self.state is FreeBetState.EXPIRED) != (self.expired_at is not None):
            raise ValueError("a free bet has its expiry time exactly when it expired")

    @classmethod
    def granted(
        cls,
        free_bet_id: uuid.UUID,
        *,
        player_id: int,
        campaign: str,
        terms: FreeBetTerms,
        max_win: Money,
        now: datetime,
    ) -> FreeBet:
        return cls(
            free_bet_id,
            player_id,
            campaign,
            terms.game,
            terms.params,
            terms.stake,
            max_win,
            granted_at=now,
            expires_at=now + terms.expires_after,
        )

    @property
    def currency(self) -> Currency:
        return self.stake.currency

    def require_playable(self, now: datetime) -> None:
        if self.state is FreeBetState.PLAYED:
            raise FreeBetUnavailable(f"free bet {self.id} was played", "played")
        if self.state is FreeBetState.EXPIRED or now >= self.expires_at:
            raise FreeBetUnavailable(f"free bet {self.id} has expired", "expired")

    def decide(
        self,
        *,
        server_seed: str,
        proof: FairnessProof,
        house_edge: Fraction,
        now: datetime,
    ) -> FreeBetPlay:
        """The play on nonce `proof.nonce` of the pair whose secret is `server_seed`: the
        game's own engine (the public verifier's `check_outcome`), the payout a bet of the
        stake would have had, and the winnings it makes."""
        self.require_playable(now)
        check = check_outcome(
            self.game,
            server_seed=server_seed,
            client_seed=proof.client_seed,
            nonce=proof.nonce,
            params=self.params,
            house_edge=house_edge,
        )
        if check.outcome is None or check.multiplier is None:  # pragma: no cover - one draw
            raise InvalidRequest(f"{self.game} is not decided in one draw")
        payout = Money(payout_for(self.stake.amount, check.multiplier), self.currency)
        return FreeBetPlay(
            proof=proof,
            outcome=check.outcome,
            description=check.description,
            multiplier=check.multiplier,
            house_edge=house_edge,
            payout=payout,
            winnings=free_bet_winnings(payout, self.stake, self.max_win),
            played_at=now,
        )

    def played(self, play: FreeBetPlay) -> FreeBet:
        if self.state is not FreeBetState.GRANTED:
            raise IllegalTransition(f"free bet {self.id} is {self.state}, it cannot be played")
        return replace(self, state=FreeBetState.PLAYED, play=play)

    def expire(self, now: datetime) -> FreeBet:
        if self.state is not FreeBetState.GRANTED:
            raise IllegalTransition(f"free bet {self.id} is {self.state}, it cannot expire")
        if now < self.expires_at:
            raise IllegalTransition(f"free bet {self.id} has not expired yet")
        return replace(self, state=FreeBetState.EXPIRED, expired_at=now)


def free_bet_key(free_bet_id: uuid.UUID) -> str:
    """The idempotency key of the bonus a free bet's winnings become."""
    return f"free-bet:{free_bet_id}"
