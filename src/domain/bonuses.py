"""Bonuses: promotion money a player holds apart from their cash until they have wagered it
(docs/bonuses.md).

The rule (cash stakes, pending bonus): a bonus sits in the player's bonus account and is never
staked; stakes always draw on cash, wins are cash. The bonus becomes cash, whole, in one
`bonus_conversion` once the player's cash stakes, weighted by each game's contribution and
each counted up to the offer's largest stake, reach the wagering requirement; on expiry or on
the player's request it is forfeited (`bonus_forfeit`) back to the promotions account. So
bonus money can never be withdrawn or staked, and cash comes from a bonus only by a
conversion. The betting road stays exactly as it is: no stake is split between two balances.

One bonus moves through one state machine, each end once:

    active ──convert──▶ converted   (wagering met, before expiry)
       ├────forfeit──▶ forfeited   (the player gave it up, or withdrew)
       └────expire───▶ expired     (its time ran out)
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from domain.errors import DomainError, IllegalTransition, InvalidField
from domain.money import Currency, Money
from domain.promotions import validate_budget_code
from domain.withdrawals import WithdrawalRefused

MAX_CAMPAIGN_LENGTH: Final = 80
MAX_KEY_LENGTH: Final = 200
# Contributions are whole per cents; progress is kept in stake x per cent ("hundredths of a
# minor unit") so that ten 1-Star dice stakes at 10% make 1 Star, not ten times nothing.
FULL_CONTRIBUTION: Final = 100

# Each game's share of a stake that counts toward wagering, in per cent. The defaults of the
# `games.bonus_contribution_pct` column (revision 0037); staff change them with the game's
# settings. Games of skill-free high RTP and low variance (dice, coin, Telegram dice) count
# little, roulette least; slot-like games (one draw, wide spread of results) count in full.
DEFAULT_CONTRIBUTIONS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "plinko": 100,
        "limbo": 100,
        "mines": 100,
        "crash": 100,
        "tg_slot": 100,
        "dice": 10,
        "coin": 10,
        "tg_dice": 10,
        "tg_darts": 10,
        "tg_bowling": 10,
        "tg_basketball": 10,
        "tg_football": 10,
        "roulette": 5,
    }
)


def validate_contribution(pct: int) -> int:
    if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= FULL_CONTRIBUTION:
        raise InvalidField("bonus_contribution_pct", "a contribution is a whole 0-100 per cent")
    return pct


class BonusState(enum.StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"
    FORFEITED = "forfeited"
    EXPIRED = "expired"


class ForfeitReason(enum.StrEnum):
    """Why a bonus was taken back: stored on the row and in the forfeit's metadata."""

    GIVEN_UP = "given_up"  # the player asked
    WITHDRAWAL = "withdrawal"  # the player withdrew while it was active, and confirmed
    EXPIRED = "expired"  # its time ran out


class BonusActive(DomainError):
    """The player already has an active bonus in this currency: one at a time."""

    code = "bonus_active"


class WageringIncomplete(DomainError):
    """A conversion was asked before the wagering requirement was met: `wagered` of
    `required` so far."""

    code = "wagering_incomplete"

    def __init__(self, message: str, *, wagered: Money, required: Money) -> None:
        super().__init__(message)
        self.wagered = wagered
        self.required = required


class BonusBlocksWithdrawal(WithdrawalRefused):
    """A withdrawal asked while a bonus is active, without the player's confirmation that
    it forfeits the bonus (rule `bonus_active`): nothing is written. `amount` is the bonus,
    `wagered` of `required` its progress."""

    def __init__(self, amount: Money, wagered: Money, required: Money) -> None:
        super().__init__(
            "bonus_active",
            f"an active bonus of {amount} ({wagered} of {required} wagered): withdrawing"
            " forfeits it; confirm to go ahead",
            limit=amount,
        )
        self.amount = amount
        self.wagered = wagered
        self.required = required


class IllegalBonusTransition(IllegalTransition):
    def __init__(self, bonus_id: uuid.UUID, source: BonusState, target: BonusState) -> None:
        super().__init__(f"bonus {bonus_id} is {source}; it cannot become {target}")
        self.source = source
        self.target = target


def _text(value: str, what: str, maximum: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > maximum:
        raise InvalidField(what, f"{what} is 1-{maximum} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidField(what, f"{what} may not contain control characters")
    return value


def validate_bonus_key(key: str) -> str:
    """A granting caller's idempotency key: 1-200 printable characters."""
    return _text(key, "key", MAX_KEY_LENGTH)


@dataclass(frozen=True, slots=True)
class BonusOffer:
    """What a grant gives: the campaign (or staff) decides it, `grant_bonus` carries it out."""

    amount: Money  # the bonus, into the bonus account
    wagering_multiple: int  # how many times `wagering_base` must be wagered (0: none)
    wagering_base: Money  # the bonus, or bonus + deposit (a deposit match says which)
    expires_after: timedelta  # from the grant
    max_stake: Money | None  # the largest stake that counts while the bonus is active
    campaign: str  # the campaign code that gave it, or "staff"
    budget: str  # the promotion budget code the grant spends

    def __post_init__(self) -> None:
        self.amount.require_positive()
        currency = self.amount.currency
        if self.wagering_base.currency != currency:
            raise InvalidField("wagering_base", "the wagering base is in the bonus's currency")
        self.wagering_base.require_positive()
        multiple = self.wagering_multiple
        if isinstance(multiple, bool) or not isinstance(multiple, int) or not 0 <= multiple <= 1000:
            raise InvalidField("wagering_multiple", "the wagering multiple is a whole 0-1000")
        if self.expires_after <= timedelta(0):
            raise InvalidField("expires_after", "a bonus expires some time after its grant")
        if self.max_stake is not None:
            if self.max_stake.currency != currency:
                raise InvalidField("max_stake", "the largest stake is in the bonus's currency")
            self.max_stake.require_positive()
        _text(self.campaign, "campaign", MAX_CAMPAIGN_LENGTH)
        validate_budget_code(self.budget)

    @property
    def currency(self) -> Currency:
        return self.amount.currency

    @property
    def wagering_required(self) -> Money:
        """What must be wagered: multiple x base (500 ⭐ for 5 x a 100 ⭐ bonus)."""
        return Money(self.wagering_multiple * self.wagering_base.amount, self.currency)


def counted_stake(stake: int, max_stake: int | None) -> int:
    """The part of a stake that counts: all of it, or the offer's largest stake."""
    return stake if max_stake is None else min(stake, max_stake)


def contribution(stake: int, max_stake: int | None, pct: int) -> int:
    """What one stake adds to progress, in hundredths of a minor unit (stake x per cent):
    a 300 ⭐ dice stake (10%) under a 200 ⭐ max stake adds 200 x 10 = 2000, i.e. 20 ⭐."""
    return counted_stake(stake, max_stake) * validate_contribution(pct)


@dataclass(frozen=True, slots=True)
class WageringProgress:
    """How far a bonus's wagering has come. `weighted` is in hundredths of a minor unit (the
    sum of `contribution`), so rounding never loses a partly counted stake."""

    required: Money
    weighted: int

    @property
    def wagered(self) -> Money:
        """Progress in whole minor units, rounded down (what the player is shown)."""
        return Money(
            min(self.weighted // FULL_CONTRIBUTION, self.required.amount), self.required.currency
        )

    @property
    def met(self) -> bool:
        return self.weighted >= self.required.amount * FULL_CONTRIBUTION

    @property
    def remaining(self) -> Money:
        return self.required - self.wagered


@dataclass(frozen=True, slots=True)
class Bonus:
    """One granted bonus. `key` is the granting caller's idempotency key (one bonus per key);
    `end_transaction_id` the conversion's or the forfeit's journal entry."""

    id: uuid.UUID
    player_id: int
    key: str
    amount: Money
    wagering_required: Money
    max_stake: Money | None
    campaign: str
    budget: str
    granted_at: datetime
    expires_at: datetime
    grant_transaction_id: uuid.UUID
    state: BonusState = BonusState.ACTIVE
    ended_at: datetime | None = None
    end_transaction_id: uuid.UUID | None = None
    forfeit_reason: ForfeitReason | None = None

    def __post_init__(self) -> None:
        validate_bonus_key(self.key)
        if self.expires_at <= self.granted_at:
            raise InvalidField("expires_at", "a bonus expires after its grant")
        ended = self.state is not BonusState.ACTIVE
        if ended != (self.ended_at is not None) or ended != (self.end_transaction_id is not None):
            raise InvalidField("state", "an ended bonus, and only one, has its end recorded")
        if (self.forfeit_reason is not None) != (
            self.state in (BonusState.FORFEITED, BonusState.EXPIRED)
        ):
            raise InvalidField("forfeit_reason", "a forfeited or expired bonus says why")

    @classmethod
    def granted(
        cls,
        bonus_id: uuid.UUID,
        *,
        player_id: int,
        key: str,
        offer: BonusOffer,
        now: datetime,
        transaction_id: uuid.UUID,
    ) -> Bonus:
        return cls(
            id=bonus_id,
            player_id=player_id,
            key=key,
            amount=offer.amount,
            wagering_required=offer.wagering_required,
            max_stake=offer.max_stake,
            campaign=offer.campaign,
            budget=offer.budget,
            granted_at=now,
            expires_at=now + offer.expires_after,
            grant_transaction_id=transaction_id,
        )

    @property
    def currency(self) -> Currency:
        return self.amount.currency

    @property
    def active(self) -> bool:
        return self.state is BonusState.ACTIVE

    def expired_at(self, now: datetime) -> bool:
        """True once its time has run out (whether or not the sweep has marked it)."""
        return now >= self.expires_at

    def wagering_until(self, now: datetime) -> datetime:
        """Bets placed before this instant count: now, or the expiry if that came first."""
        return min(now, self.expires_at)

    def progress(self, weighted: int) -> WageringProgress:
        return WageringProgress(self.wagering_required, weighted)

    def _end(
        self,
        target: BonusState,
        now: datetime,
        transaction_id: uuid.UUID,
        reason: ForfeitReason | None,
    ) -> Bonus:
        if not self.active:
            raise IllegalBonusTransition(self.id, self.state, target)
        return replace(
            self,
            state=target,
            ended_at=now,
            end_transaction_id=transaction_id,
            forfeit_reason=reason,
        )

    def convert(
        self, now: datetime, progress: WageringProgress, transaction_id: uuid.UUID
    ) -> Bonus:
        """Wagering met before expiry: the whole bonus becomes cash."""
        if self.active and self.expired_at(now):
            raise IllegalBonusTransition(self.id, BonusState.EXPIRED, BonusState.CONVERTED)
        if self.active and not progress.met:
            raise WageringIncomplete(
                f"{progress.wagered} of {progress.required} wagered; {progress.remaining} to go",
                wagered=progress.wagered,
                required=progress.required,
            )
        return self._end(BonusState.CONVERTED, now, transaction_id, None)

    def forfeit(self, now: datetime, reason: ForfeitReason, transaction_id: uuid.UUID) -> Bonus:
        """Given up by the player (or for a withdrawal): back to the promotions account."""
        if reason is ForfeitReason.EXPIRED:
            return self.expire(now, transaction_id)
        return self._end(BonusState.FORFEITED, now, transaction_id, reason)

    def expire(self, now: datetime, transaction_id: uuid.UUID) -> Bonus:
        if self.active and not self.expired_at(now):
            raise IllegalBonusTransition(self.id, self.state, BonusState.EXPIRED)
        return self._end(BonusState.EXPIRED, now, transaction_id, ForfeitReason.EXPIRED)
