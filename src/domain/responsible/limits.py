"""Deposit, loss and wager limits over rolling windows, and which one binds."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from domain.errors import InvalidRequest
from domain.money import Currency, Money
from domain.responsible.refusal import COOLING_OFF, ResponsibleGamblingRefusal, format_moment


class LimitKind(enum.StrEnum):
    DEPOSIT = "deposit"  # money paid in
    LOSS = "loss"  # stakes minus payouts (open bets count as lost)
    WAGER = "wager"  # stakes placed

    @property
    def label(self) -> str:
        return {"deposit": "deposit", "loss": "loss", "wager": "wagering"}[self.value]


BET_LIMIT_KINDS: Final = frozenset({LimitKind.WAGER, LimitKind.LOSS})

# The largest limit (and pending raise) anyone can set, in whole units of its currency: a
# billion stars is more than any deposit, loss or wager a limit could mean, and keeps a page of
# digits from becoming a limit in the books. In minor units never over 10**18 (a currency of
# 18 decimals would otherwise need more than a bigint); the table checks the same
# (responsible_limits, revision 0049).
MAX_LIMIT_WHOLE_UNITS: Final = 10**9
MAX_LIMIT_MINOR_UNITS: Final = 10**18


def max_limit(currency: Currency) -> Money:
    """The largest limit in `currency`: 1 000 000 000 ⭐, 1 000 000 000 TON."""
    whole: int = MAX_LIMIT_WHOLE_UNITS * 10**currency.exponent
    return Money(min(whole, MAX_LIMIT_MINOR_UNITS), currency)


class LimitTooLarge(InvalidRequest):
    """A limit above `max_limit`: no limit anyone means (no limit at all is a removal)."""

    def __init__(self, maximum: Money) -> None:
        super().__init__(f"a limit can be at most {maximum}")
        self.maximum = maximum


DEPOSIT_LIMIT_KINDS: Final = frozenset({LimitKind.DEPOSIT})


class LimitPeriod(enum.StrEnum):
    """A rolling window ending now."""

    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"

    @property
    def duration(self) -> timedelta:
        return _PERIOD_DURATION[self]

    @property
    def label(self) -> str:
        return {"24h": "24-hour", "7d": "7-day", "30d": "30-day"}[self.value]


_PERIOD_DURATION: Final = {
    LimitPeriod.DAY: timedelta(hours=24),
    LimitPeriod.WEEK: timedelta(days=7),
    LimitPeriod.MONTH: timedelta(days=30),
}


def parse_limit_kind(text: str) -> LimitKind:
    try:
        return LimitKind(text.strip().lower())
    except ValueError:
        raise InvalidRequest(f"limit kinds are {', '.join(k.value for k in LimitKind)}") from None


def parse_limit_period(text: str) -> LimitPeriod:
    try:
        return LimitPeriod(text.strip().lower())
    except ValueError:
        raise InvalidRequest(
            f"limit periods are {', '.join(p.value for p in LimitPeriod)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Usage:
    """What a player did in one currency since some moment, in minor units."""

    # stakes of bets (not voided), seamless debits (not rolled back) and duels (not refunded)
    wagered: int = 0
    net_loss: int = 0  # wagered minus payouts; negative when the player is ahead
    deposited: int = 0

    def of(self, kind: LimitKind) -> int:
        if kind is LimitKind.DEPOSIT:
            return self.deposited
        if kind is LimitKind.LOSS:
            return self.net_loss
        return self.wagered


@dataclass(frozen=True, slots=True)
class PendingChange:
    """A raise (or, with `amount` None, a removal) of a limit, waiting for the cooling-off to
    pass and for the player to confirm it again."""

    amount: int | None
    requested_at: datetime

    @property
    def is_removal(self) -> bool:
        return self.amount is None

    @property
    def confirmable_at(self) -> datetime:
        return self.requested_at + COOLING_OFF

    def confirmable(self, now: datetime) -> bool:
        return now >= self.confirmable_at


@dataclass(frozen=True, slots=True)
class PlayerLimit:
    """One limit: a kind, a period and a currency. `amount` is what applies now; a pending
    change never applies until it is confirmed."""

    player_id: int
    kind: LimitKind
    period: LimitPeriod
    amount: Money
    set_at: datetime
    pending: PendingChange | None = None

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise InvalidRequest(f"a limit must be positive, got {self.amount}")
        top = max_limit(self.currency)
        pending = self.pending.amount if self.pending is not None else None
        if max(self.amount.amount, pending or 0) > top.amount:
            raise LimitTooLarge(top)
        if (
            self.pending is not None
            and self.pending.amount is not None
            and self.pending.amount <= self.amount.amount
        ):
            raise InvalidRequest("a pending limit change is an increase or a removal")

    @property
    def currency(self) -> Currency:
        return self.amount.currency

    @property
    def key(self) -> tuple[LimitKind, LimitPeriod, str]:
        return (self.kind, self.period, self.currency.code)

    @property
    def rule(self) -> str:
        return f"{self.kind.value}_limit_{self.period.value}"

    @property
    def pending_amount(self) -> Money | None:
        if self.pending is None or self.pending.amount is None:
            return None
        return Money(self.pending.amount, self.currency)

    @property
    def description(self) -> str:
        return f"{self.period.label} {self.kind.label} limit of {self.amount}"

    @classmethod
    def new(
        cls, player_id: int, kind: LimitKind, period: LimitPeriod, amount: Money, now: datetime
    ) -> PlayerLimit:
        """A limit where there was none: protection, so it applies at once."""
        return cls(player_id, kind, period, amount.require_positive(), now)

    def change_to(self, amount: Money, now: datetime) -> PlayerLimit:
        """Lower (or keep) the limit at once, dropping any pending raise; a higher amount
        becomes a pending change whose cooling-off starts now (a new request restarts it)."""
        amount.require_positive()
        if amount.currency != self.currency:
            raise InvalidRequest(f"this limit is in {self.currency.code}, not {amount.currency}")
        if amount <= self.amount:
            return replace(self, amount=amount, set_at=now, pending=None)
        return replace(self, pending=PendingChange(amount.amount, now))

    def request_removal(self, now: datetime) -> PlayerLimit:
        """Removing a limit loosens it like a raise: it waits for the cooling-off and a
        confirmation."""
        return replace(self, pending=PendingChange(None, now))

    def confirm(self, now: datetime) -> PlayerLimit | None:
        """Apply the pending change once the cooling-off has passed; None when it removes the
        limit."""
        pending = self.pending
        if pending is None:
            raise InvalidRequest(f"your {self.description} has no change waiting to be confirmed")
        if not pending.confirmable(now):
            what = "removal" if pending.is_removal else f"raise to {self.pending_amount}"
            raise ResponsibleGamblingRefusal(
                "cooling_off",
                f"The {what} of your {self.description} can be confirmed from "
                f"{format_moment(pending.confirmable_at)}, after a 24-hour cooling-off; "
                "until then the current limit applies.",
                until=pending.confirmable_at,
                limit=self.amount,
            )
        if pending.amount is None:
            return None
        return replace(self, amount=Money(pending.amount, self.currency), set_at=now, pending=None)

    def used(self, usage: Mapping[LimitPeriod, Usage]) -> int:
        return usage.get(self.period, Usage()).of(self.kind)

    def room(self, usage: Mapping[LimitPeriod, Usage]) -> int:
        """What may still be used in the window: the limit minus what was used. It may exceed
        the limit for a loss limit when the player is ahead; never below zero."""
        return max(0, self.amount.amount - self.used(usage))


def applicable_limits(
    limits: Iterable[PlayerLimit], kinds: Iterable[LimitKind], currency: Currency
) -> list[PlayerLimit]:
    wanted = set(kinds)
    return [lim for lim in limits if lim.kind in wanted and lim.currency == currency]


def binding_limit(
    limits: Sequence[PlayerLimit], usage: Mapping[LimitPeriod, Usage]
) -> PlayerLimit | None:
    """The limit with the least room left: the one that decides. Ties go to the shorter
    period, then loss before wager before deposit (a stable, explainable choice)."""
    if not limits:
        return None
    order = {LimitPeriod.DAY: 0, LimitPeriod.WEEK: 1, LimitPeriod.MONTH: 2}
    kinds = {LimitKind.LOSS: 0, LimitKind.WAGER: 1, LimitKind.DEPOSIT: 2}
    return min(limits, key=lambda lim: (lim.room(usage), order[lim.period], kinds[lim.kind]))


def check_limits(
    limits: Iterable[PlayerLimit],
    kinds: Iterable[LimitKind],
    amount: Money,
    usage: Mapping[LimitPeriod, Usage],
) -> None:
    """Refuse `amount` (a stake, a deposit) if it does not fit in every limit of `kinds` in its
    currency; the refusal names the binding one. Exactly reaching a limit is allowed."""
    candidates = applicable_limits(limits, kinds, amount.currency)
    binding = binding_limit(candidates, usage)
    if binding is None:
        return
    room = binding.room(usage)
    if amount.amount <= room:
        return
    remaining = Money(room, amount.currency)
    what = "deposit" if binding.kind is LimitKind.DEPOSIT else "stake"
    if room == 0:
        message = (
            f"You have reached your {binding.description} for now, so this {what} cannot go "
            "through. The window rolls on, and room frees up as older activity leaves it."
        )
    else:
        message = (
            f"This {what} of {amount} is more than your {binding.description} allows right "
            f"now: {remaining} is left. A smaller {what} will go through."
        )
    raise ResponsibleGamblingRefusal(
        binding.rule, message, limit=binding.amount, remaining=remaining
    )


def check_bet_limits(
    limits: Iterable[PlayerLimit], stake: Money, usage: Mapping[LimitPeriod, Usage]
) -> None:
    """A stake counts against wager limits and, as the most it can lose, loss limits."""
    check_limits(limits, BET_LIMIT_KINDS, stake, usage)


def check_deposit_limits(
    limits: Iterable[PlayerLimit], amount: Money, usage: Mapping[LimitPeriod, Usage]
) -> None:
    check_limits(limits, DEPOSIT_LIMIT_KINDS, amount, usage)
