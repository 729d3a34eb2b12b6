"""Rakeback: a VIP level's share of the house edge on what the player wagered, and the daily
play-money bonus (docs/bonuses.md).

Accrual is per bet: a settled bet (won or lost; a void wagered nothing) of stake S on a game
whose house edge was E when it was placed (`bets.house_edge`, the `games.house_edge` of that
moment) accrues S x E x share, exactly (fractions, never floats). A claim pays the sum over the
bets settled in its period, floored once to the currency's minor unit: the fraction of a unit
left over is not carried to the next claim, so a player loses less than one minor unit per
claim, and the house never pays more than was accrued. A claim whose floor is zero is refused
and moves no watermark, so the bets keep accruing until they are worth a unit.

A claim's period runs from the previous claim's end (its watermark) to the claim's time minus
`SETTLE_GRACE`, so a bet whose settlement was still committing when the claim read is counted
by the next claim, never skipped. Rakeback older than the VIP window lapses: a period never
starts earlier than the window before the claim (which also bounds what a claim reads)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Final

from domain.errors import IllegalTransition, InvalidField
from domain.money import Currency, Money
from domain.vip import VipLadder

# Longer than any settlement's transaction may stay open (lock waits are bounded far below).
SETTLE_GRACE: Final = timedelta(minutes=1)


class NothingToClaim(IllegalTransition):
    """No rakeback worth a minor unit has accrued since the last claim: nothing is paid."""

    code = "nothing_to_claim"


@dataclass(frozen=True, slots=True)
class Turnover:
    """A player's settled bets in one currency over a period: how much they staked, and the
    sum of stake x house edge (exact)."""

    wagered: Money
    edge: Fraction  # minor units, exact: sum of stake x edge over the bets
    bets: int

    def __post_init__(self) -> None:
        if self.wagered.amount < 0 or self.edge < 0 or self.bets < 0:
            raise InvalidField("turnover", "a turnover is never negative")
        if self.edge > self.wagered.amount:
            raise InvalidField("turnover", "a house edge is below 100%")

    @classmethod
    def none(cls, currency: Currency) -> Turnover:
        return cls(Money(0, currency), Fraction(0), 0)

    def rakeback(self, share: Fraction) -> Money:
        """stake x edge x share summed over the bets, floored once to minor units."""
        return Money(math.floor(self.edge * share), self.wagered.currency)


@dataclass(frozen=True, slots=True)
class ClaimPeriod:
    """The settled bets a claim pays for: settled after `since`, up to and including `until`."""

    since: datetime
    until: datetime

    @property
    def is_empty(self) -> bool:
        return self.until <= self.since


def claim_period(
    previous: RakebackClaim | None,
    now: datetime,
    window: timedelta,
    grace: timedelta = SETTLE_GRACE,
) -> ClaimPeriod:
    """From the previous claim's watermark (or the window's start, whichever is later) to now
    less the settlement grace."""
    since = now - window
    if previous is not None:
        since = max(since, previous.until)
    return ClaimPeriod(since, now - grace)


@dataclass(frozen=True, slots=True)
class RakebackClaim:
    """A paid claim: what it paid, for which period, at which level, and the claim before it
    (the chain the database keeps unique: two claims can never follow the same one)."""

    id: uuid.UUID
    player_id: int
    amount: Money
    wagered: Money
    since: datetime
    until: datetime
    level: str
    share: Fraction
    previous: uuid.UUID | None
    transaction_id: uuid.UUID
    claimed_at: datetime

    def __post_init__(self) -> None:
        if self.amount.currency != self.wagered.currency:
            raise InvalidField("claim", "a claim pays in the currency wagered")
        if self.amount.amount <= 0 or self.until <= self.since:
            raise InvalidField("claim", "a claim pays something for a period")

    @property
    def currency(self) -> Currency:
        return self.amount.currency


def rakeback_budget(currency: Currency) -> str:
    """Every rakeback payment in a currency spends from this budget (`rakeback-xtr`)."""
    return f"rakeback-{currency.code.lower()}"


def rakeback_claim_key(claim_id: uuid.UUID) -> str:
    return str(claim_id)


# -- the daily play-money bonus ----------------------------------------------------------------

DAILY_BONUS_BUDGET: Final = "daily-fun"


def daily_bonus_key(player_id: int, day: date) -> str:
    """One a player a UTC day: the ledger's idempotency key makes a second one a replay."""
    return f"{player_id}:{day.isoformat()}"


def next_daily_bonus(now: datetime) -> datetime:
    """When the next UTC day (and its bonus) starts."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DailyBonusPolicy:
    """How much play money a day, and the budget that bounds it all."""

    amount: Money
    budget_total: Money

    def __post_init__(self) -> None:
        self.amount.require_positive()
        if self.budget_total.currency != self.amount.currency:
            raise InvalidField("daily_bonus", "the daily bonus and its budget share a currency")


@dataclass(frozen=True, slots=True)
class RakebackPolicy:
    """The ladder, and per currency code the total of the rakeback budget created on first
    use (minor units): rakeback accrues only in the currencies listed (play money never)."""

    ladder: VipLadder
    budgets: Mapping[str, int]
    grace: timedelta = SETTLE_GRACE

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.grace <= timedelta(hours=1):
            raise InvalidField("rakeback_settle_grace_s", "the grace is 0 to 3600 seconds")

    def period(self, previous: RakebackClaim | None, now: datetime) -> ClaimPeriod:
        return claim_period(previous, now, self.ladder.window, self.grace)

    def pays_in(self, currency: Currency) -> bool:
        return currency.code in self.budgets

    def budget_total(self, currency: Currency) -> Money:
        if not self.pays_in(currency):
            raise InvalidField("currency", f"no rakeback is paid in {currency.code}")
        return Money(self.budgets[currency.code], currency)
