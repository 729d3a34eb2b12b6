"""Referral commission (docs/bonuses.md, "Referrals"): who earns what for the players they
brought, per period and currency.

A referrer earns a share of what their referred players brought the house in a period:

- `ngr`: net gaming revenue, stakes minus payouts of the referred players' bets settled in
  the period (won or lost; a voided bet returned its stake and is no revenue), netted across
  all the referrer's referred players in that currency and never below zero. Netting, not a
  floor per player, so two referred accounts playing against each other (one loses what the
  other wins) earn nothing: the house made nothing.
- `deposits`: the referred players' deposits into their wallets in the period.

The commission is `floor(base * share)`, then at most the period's cap of the currency. A
currency without a cap earns no commission (play money, a currency added later): an operator
opts a currency in by giving it a cap. Money stays integer minor units; the share is an exact
fraction (basis points), never a float.

What is left out of the base, before the arithmetic: a referred player who shares a payment
identity with the referrer (abuse: the referrer gets nothing for them and a risk flag is
raised), and one the standing refuses a promotion now (self-excluded, timed out, blocked):
the losses that led a player to stop are not a reward for whoever brought them."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final

from domain.errors import InvalidRequest

BASIS_POINTS: Final = 10_000
# How many complete periods back a run of the job looks for commissions not yet settled: a
# job that did not run for a while (an outage, a deploy) catches up; older periods stay as
# they are (an operator pays them by hand if owed).
DEFAULT_LOOKBACK: Final = 7


class CommissionBasis(enum.StrEnum):
    NGR = "ngr"  # stakes - payouts of settled bets, netted, never below zero
    DEPOSITS = "deposits"  # deposits into the wallet


class ReferralPeriod(enum.StrEnum):
    DAY = "day"  # a UTC day
    WEEK = "week"  # an ISO week, Monday 00:00 UTC to the next Monday

    @property
    def length(self) -> timedelta:
        return timedelta(days=1 if self is ReferralPeriod.DAY else 7)

    def start_of(self, moment: datetime) -> datetime:
        """The start of the period `moment` falls in (UTC)."""
        day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
        if moment.tzinfo is not None:
            utc = moment.astimezone(UTC)
            day = datetime(utc.year, utc.month, utc.day, tzinfo=UTC)
        if self is ReferralPeriod.WEEK:
            day -= timedelta(days=day.weekday())
        return day

    def window(self, moment: datetime) -> Window:
        """The period `moment` falls in, still running if `moment` is inside it."""
        start = self.start_of(moment)
        return Window(start, start + self.length)

    def complete(self, now: datetime, lookback: int = DEFAULT_LOOKBACK) -> list[Window]:
        """The last `lookback` periods that have ended by `now`, oldest first."""
        current = self.start_of(now)
        return [
            Window(current - self.length * k, current - self.length * (k - 1))
            for k in range(lookback, 0, -1)
        ]


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end), UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ReferralPolicy:
    """The operator's choice (settings): basis, share, period and caps per currency."""

    basis: CommissionBasis = CommissionBasis.NGR
    share_bps: int = 2_000  # 20%
    period: ReferralPeriod = ReferralPeriod.WEEK
    # Per currency code, minor units per referrer and period; a currency not listed earns none.
    caps: Mapping[str, int] = field(default_factory=dict)
    lookback: int = DEFAULT_LOOKBACK

    def __post_init__(self) -> None:
        if not 0 <= self.share_bps <= BASIS_POINTS:
            raise InvalidRequest("a referral share is 0 to 10000 basis points (0% to 100%)")
        for code, cap in self.caps.items():
            if cap <= 0:
                raise InvalidRequest(f"the referral cap of {code} must be positive")
        if not 1 <= self.lookback <= 366:
            raise InvalidRequest("the referral lookback is 1 to 366 periods")
        object.__setattr__(self, "caps", MappingProxyType(dict(self.caps)))

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_bps, BASIS_POINTS)


@dataclass(frozen=True, slots=True)
class ReferredActivity:
    """What one referred player did in one currency in a period (minor units)."""

    referrer_id: int
    referred_id: int
    currency: str
    stakes: int  # of bets settled (won or lost) in the period
    payouts: int  # of those bets
    deposits: int  # into the wallet in the period
    # Payment identities (their digests) the referred player shares with the referrer.
    shared_identities: tuple[str, ...] = ()

    @property
    def net_revenue(self) -> int:
        return self.stakes - self.payouts


class Exclusion(enum.StrEnum):
    ABUSE = "abuse"  # shares a payment identity with the referrer
    PROTECTED = "protected"  # the standing refuses the referred player a promotion now


@dataclass(frozen=True, slots=True)
class Commission:
    """One referrer's commission for one period in one currency, and how it was reached."""

    referrer_id: int
    currency: str
    basis: CommissionBasis
    base: int  # what the share applies to, minor units, never negative
    share_bps: int
    uncapped: int  # floor(base * share)
    cap: int | None  # None: the currency earns no commission
    amount: int  # what is paid, minor units
    counted: tuple[int, ...]  # the referred players whose activity counted
    excluded: Mapping[int, Exclusion]

    @property
    def capped(self) -> bool:
        return self.amount < self.uncapped


def commission(
    policy: ReferralPolicy,
    referrer_id: int,
    currency: str,
    activities: Iterable[ReferredActivity],
    excluded: Mapping[int, Exclusion] | None = None,
) -> Commission:
    """The commission of `referrer_id` in `currency` over the activities of their referred
    players (one period), leaving out the `excluded` players."""
    excluded = dict(excluded or {})
    counted: list[ReferredActivity] = []
    for a in activities:
        if a.referrer_id != referrer_id or a.currency != currency:
            raise InvalidRequest("a commission is of one referrer and one currency")
        if a.stakes < 0 or a.payouts < 0 or a.deposits < 0:
            raise InvalidRequest("stakes, payouts and deposits are not negative")
        if a.shared_identities:
            excluded[a.referred_id] = Exclusion.ABUSE
        if a.referred_id not in excluded:
            counted.append(a)
    if policy.basis is CommissionBasis.NGR:
        base = max(0, sum(a.net_revenue for a in counted))
    else:
        base = sum(a.deposits for a in counted)
    uncapped = int(base * policy.share)  # floor: base and share are not negative
    cap = policy.caps.get(currency)
    amount = 0 if cap is None else min(uncapped, cap)
    return Commission(
        referrer_id=referrer_id,
        currency=currency,
        basis=policy.basis,
        base=base,
        share_bps=policy.share_bps,
        uncapped=uncapped,
        cap=cap,
        amount=amount,
        counted=tuple(sorted(a.referred_id for a in counted)),
        excluded=MappingProxyType(excluded),
    )


def group_by_referrer(
    activities: Iterable[ReferredActivity],
) -> dict[tuple[int, str], list[ReferredActivity]]:
    """Activities by (referrer, currency), in the order a job settles them."""
    groups: dict[tuple[int, str], list[ReferredActivity]] = {}
    for a in sorted(activities, key=lambda a: (a.referrer_id, a.currency, a.referred_id)):
        groups.setdefault((a.referrer_id, a.currency), []).append(a)
    return groups


def budget_code(currency: str) -> str:
    """The budget every referral commission in `currency` spends from: `referral-xtr`."""
    return f"referral-{currency.lower()}"


def commission_key(referrer_id: int, period_start: datetime, currency: str) -> str:
    """The payment's key within the referral programme: one per (referrer, period,
    currency), so a rerun or a second instance posts nothing twice."""
    return f"{referrer_id}:{period_start:%Y-%m-%d}:{currency}"


class CommissionOutcome(enum.StrEnum):
    PAID = "paid"  # money moved
    NOTHING = "nothing"  # the arithmetic gave zero (no revenue, all excluded, no cap)
    WITHHELD = "withheld"  # the referrer's standing refuses a promotion: forfeited


def abuse_evidence(activity: ReferredActivity, window: Window) -> dict[str, object]:
    """What a `referral_abuse` flag on the referrer shows staff."""
    return {
        "referred_player": activity.referred_id,
        "currency": activity.currency,
        "identity_hashes": sorted(activity.shared_identities),
        "period_start": window.start.isoformat(),
        "period_end": window.end.isoformat(),
        "stakes": activity.stakes,
        "payouts": activity.payouts,
        "deposits": activity.deposits,
    }


def referral_link(bot_username: str, code: str) -> str:
    """The link a referrer shares: Telegram opens the bot and sends `/start ref_<code>`."""
    return f"https://t.me/{bot_username}?start=ref_{code}"


def referral_code_from_start(payload: str | None) -> str | None:
    """The code in a `/start` payload or a Mini App `start_param`: `ref_<code>`, or None for
    anything else (another deep link, nothing)."""
    if not payload:
        return None
    payload = payload.strip()
    if not payload.startswith("ref_"):
        return None
    return payload.removeprefix("ref_") or None


def earned(rows: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Totals by currency of (currency, amount) rows."""
    totals: dict[str, int] = {}
    for currency, amount in rows:
        totals[currency] = totals.get(currency, 0) + amount
    return totals


@dataclass(frozen=True, slots=True)
class CommissionSettlement:
    """What the job did for one referrer, period and currency: written once, with the
    payment's journal entry when money moved."""

    commission: Commission
    window: Window
    outcome: CommissionOutcome
    settled_at: datetime
    transaction_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        paid = self.outcome is CommissionOutcome.PAID
        if paid != (self.transaction_id is not None):
            raise InvalidRequest("a paid commission, and only a paid one, has a journal entry")
        if paid and self.commission.amount <= 0:
            raise InvalidRequest("a paid commission has an amount")
        if self.outcome is CommissionOutcome.NOTHING and self.commission.amount:
            raise InvalidRequest("a commission with an amount is paid or withheld")

    @property
    def amount(self) -> int:
        return self.commission.amount if self.outcome is CommissionOutcome.PAID else 0
