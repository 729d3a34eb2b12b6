"""Responsible gambling: the limits a player sets, time-outs and self-exclusion, reality checks.

Pure rules over explicit times; the use cases read the state and the player's usage and ask
these functions what to do.

- **Limits** on deposits, net losses and wagers, over rolling windows of 24 hours, 7 days and
  30 days, per currency. Every limit that applies is checked and the one with the least room
  left binds ("the lowest applicable one wins"). A new limit, or a lower one, takes effect at
  once; a higher one, or a removal, waits as a pending change that the player must confirm
  again once a 24-hour cooling-off has passed. Until then the old limit applies, however
  long ago the change was asked for.
- **Time-out** (24 hours to 6 weeks) and **self-exclusion** (6 months to permanent): no bets
  and no deposits, at once. Nothing here ends one early; a second request can only make it
  longer (or turn a time-out into a self-exclusion).
- **Reality check**: at an interval the player chooses, the next bet is refused with the
  session's length and net result until the player acknowledges it.

Windows are half-open on the old side: activity at exactly `now - period` still counts.

Longer than most modules: limits, exclusions and reality checks are one player's profile
(`ResponsibleProfile`) and are decided together by the guard; each part has its own section."""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from domain.errors import DomainError, InvalidRequest
from domain.money import Currency, Money
from domain.quoting import excerpt

COOLING_OFF: Final = timedelta(hours=24)
MIN_REALITY_CHECK_MINUTES: Final = 15
MAX_REALITY_CHECK_MINUTES: Final = 240
# A pause in play at least this long ends a session: the next bet starts a new one, and the
# reality check counts from there.
SESSION_BREAK: Final = timedelta(minutes=30)


class ResponsibleGamblingRefusal(DomainError):
    """A responsible-gambling rule refuses a bet, a deposit or a change. `rule` names it
    ("loss_limit_24h", "timeout", "self_excluded", "reality_check", "cooling_off"); the other
    attributes carry what a screen needs to explain it (each None when it does not apply)."""

    code = "responsible_gambling"

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        until: datetime | None = None,
        limit: Money | None = None,
        remaining: Money | None = None,
        session_started_at: datetime | None = None,
        session_time: timedelta | None = None,
        net_result: Money | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.until = until  # when the state ends (None: permanent, or not time-bound)
        self.limit = limit  # the binding limit
        self.remaining = remaining  # what is left of it
        self.session_started_at = session_started_at
        self.session_time = session_time
        self.net_result = net_result  # the player's result this session (positive: won)


def format_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_duration(duration: timedelta) -> str:
    minutes = max(0, int(duration.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months later (the 31st becomes the last day
    of a shorter month), so "6 months" is never less than six calendar months."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# -- limits ----------------------------------------------------------------------------------


class LimitKind(enum.StrEnum):
    DEPOSIT = "deposit"  # money paid in
    LOSS = "loss"  # stakes minus payouts (open bets count as lost)
    WAGER = "wager"  # stakes placed

    @property
    def label(self) -> str:
        return {"deposit": "deposit", "loss": "loss", "wager": "wagering"}[self.value]


BET_LIMIT_KINDS: Final = frozenset({LimitKind.WAGER, LimitKind.LOSS})
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

    wagered: int = 0  # stakes of bets (not voided) and seamless debits (not rolled back)
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


# -- time-out and self-exclusion -------------------------------------------------------------


class ExclusionKind(enum.StrEnum):
    TIMEOUT = "timeout"
    SELF_EXCLUSION = "self_exclusion"


class TimeoutPeriod(enum.StrEnum):
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    SIX_WEEKS = "6w"

    @property
    def duration(self) -> timedelta:
        return {
            "24h": timedelta(hours=24),
            "7d": timedelta(days=7),
            "30d": timedelta(days=30),
            "6w": timedelta(weeks=6),
        }[self.value]


class SelfExclusionPeriod(enum.StrEnum):
    SIX_MONTHS = "6m"
    ONE_YEAR = "1y"
    FIVE_YEARS = "5y"
    PERMANENT = "permanent"

    @property
    def months(self) -> int | None:
        """Calendar months; None for ever."""
        return {"6m": 6, "1y": 12, "5y": 60, "permanent": None}[self.value]


def parse_timeout_period(text: str) -> TimeoutPeriod:
    try:
        return TimeoutPeriod(text.strip().lower())
    except ValueError:
        raise InvalidRequest(
            f"time-outs last {', '.join(p.value for p in TimeoutPeriod)}"
        ) from None


def parse_self_exclusion_period(text: str) -> SelfExclusionPeriod:
    try:
        return SelfExclusionPeriod(text.strip().lower())
    except ValueError:
        raise InvalidRequest(
            f"self-exclusions last {', '.join(p.value for p in SelfExclusionPeriod)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A time-out or a self-exclusion, from `started_at` until `until` (None: permanent)."""

    player_id: int
    kind: ExclusionKind
    started_at: datetime
    until: datetime | None

    def __post_init__(self) -> None:
        if self.until is None and self.kind is not ExclusionKind.SELF_EXCLUSION:
            raise InvalidRequest("only a self-exclusion can be permanent")
        if self.until is not None and self.until <= self.started_at:
            raise InvalidRequest("an exclusion ends after it starts")

    @classmethod
    def timeout(cls, player_id: int, period: TimeoutPeriod, now: datetime) -> Exclusion:
        return cls(player_id, ExclusionKind.TIMEOUT, now, now + period.duration)

    @classmethod
    def self_exclusion(
        cls, player_id: int, period: SelfExclusionPeriod, now: datetime
    ) -> Exclusion:
        months = period.months
        until = None if months is None else add_months(now, months)
        return cls(player_id, ExclusionKind.SELF_EXCLUSION, now, until)

    @property
    def permanent(self) -> bool:
        return self.until is None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def outlasts(self, other: Exclusion) -> bool:
        """Whether this one ends no earlier than `other`."""
        if self.until is None:
            return True
        return other.until is not None and self.until >= other.until

    def extended_by(self, requested: Exclusion, now: datetime) -> Exclusion:
        """The exclusion after the player asks for `requested` while this one is stored. An
        expired one is simply replaced. An active one is never shortened: it keeps its start,
        runs to the later end, and stays a self-exclusion if either is one."""
        if not self.active(now):
            return requested
        longer = requested if requested.outlasts(self) else self
        kind = (
            ExclusionKind.SELF_EXCLUSION
            if ExclusionKind.SELF_EXCLUSION in (self.kind, requested.kind)
            else ExclusionKind.TIMEOUT
        )
        return Exclusion(self.player_id, kind, self.started_at, longer.until)

    @property
    def rule(self) -> str:
        return "timeout" if self.kind is ExclusionKind.TIMEOUT else "self_excluded"

    def refusal(self) -> ResponsibleGamblingRefusal:
        if self.until is None:
            message = (
                "You have excluded yourself from gambling permanently, so bets and deposits "
                "are closed on this account. If you would like to talk to someone, our "
                "support team can point you to organisations that help."
            )
        elif self.kind is ExclusionKind.SELF_EXCLUSION:
            message = (
                f"You have excluded yourself from gambling until {format_moment(self.until)}. "
                "Bets and deposits are closed until then, and this cannot be lifted early."
            )
        else:
            message = (
                f"You are taking a break until {format_moment(self.until)}. Bets and deposits "
                "are paused until then; your balance is safe and waiting for you."
            )
        return ResponsibleGamblingRefusal(self.rule, message, until=self.until)

    def require_inactive(self, now: datetime) -> None:
        if self.active(now):
            raise self.refusal()


# -- reality check ---------------------------------------------------------------------------


def validate_reality_check_minutes(minutes: int) -> int:
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not MIN_REALITY_CHECK_MINUTES <= minutes <= MAX_REALITY_CHECK_MINUTES
    ):
        raise InvalidRequest(
            f"a reality check comes every {MIN_REALITY_CHECK_MINUTES}-"
            f"{MAX_REALITY_CHECK_MINUTES} minutes, got {excerpt(minutes)}"
        )
    return minutes


@dataclass(frozen=True, slots=True)
class RealityCheck:
    """Every `interval` of play since the last acknowledgement (or since the session began),
    the next bet waits for the player to acknowledge how long they have played and how they
    stand."""

    player_id: int
    interval: timedelta
    session_started_at: datetime
    acknowledged_at: datetime

    def __post_init__(self) -> None:
        seconds = int(self.interval.total_seconds())
        if self.interval != timedelta(seconds=seconds) or seconds % 60:
            raise InvalidRequest("a reality check interval is a whole number of minutes")
        validate_reality_check_minutes(seconds // 60)
        if self.acknowledged_at < self.session_started_at:
            raise InvalidRequest("a reality check is acknowledged after its session starts")

    @classmethod
    def start(cls, player_id: int, minutes: int, now: datetime) -> RealityCheck:
        interval = timedelta(minutes=validate_reality_check_minutes(minutes))
        return cls(player_id, interval, now, now)

    @property
    def minutes(self) -> int:
        return int(self.interval.total_seconds()) // 60

    @property
    def next_due(self) -> datetime:
        return self.acknowledged_at + self.interval

    def is_due(self, now: datetime) -> bool:
        return now >= self.next_due

    def with_interval(self, minutes: int) -> RealityCheck:
        """A new interval, counted from the same last acknowledgement."""
        return replace(self, interval=timedelta(minutes=validate_reality_check_minutes(minutes)))

    def acknowledge(self, now: datetime) -> RealityCheck:
        """The player saw the check: the next one is an interval from now. Acknowledging a
        check that is not due changes nothing (a double tap, a stale screen)."""
        if not self.is_due(now):
            return self
        return replace(self, acknowledged_at=now)

    def before_bet(self, now: datetime, last_played_at: datetime | None) -> RealityCheck:
        """The state a bet at `now` sees: after a break of `SESSION_BREAK` or more (or before
        any play at all) a new session starts now, with a fresh interval."""
        if last_played_at is None or now - last_played_at >= SESSION_BREAK:
            if self.session_started_at == now and self.acknowledged_at == now:
                return self
            return replace(self, session_started_at=now, acknowledged_at=now)
        return self

    def refusal(self, now: datetime, net_result: Money) -> ResponsibleGamblingRefusal:
        played = now - self.session_started_at
        result = f"+{net_result}" if net_result.amount > 0 else str(net_result)
        return ResponsibleGamblingRefusal(
            "reality_check",
            f"Reality check: you have been playing for {format_duration(played)} "
            f"(since {format_moment(self.session_started_at)}), and your result this session "
            f"is {result}. Acknowledge it to carry on, or take a break.",
            session_started_at=self.session_started_at,
            session_time=played,
            net_result=net_result,
        )


# -- everything a player set -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponsibleProfile:
    """A player's limits, exclusion and reality check as stored."""

    player_id: int
    limits: tuple[PlayerLimit, ...] = field(default_factory=tuple)
    exclusion: Exclusion | None = None
    reality_check: RealityCheck | None = None

    def limit(self, kind: LimitKind, period: LimitPeriod, currency: Currency) -> PlayerLimit | None:
        key = (kind, period, currency.code)
        return next((lim for lim in self.limits if lim.key == key), None)

    def active_exclusion(self, now: datetime) -> Exclusion | None:
        if self.exclusion is not None and self.exclusion.active(now):
            return self.exclusion
        return None

    def require_not_excluded(self, now: datetime) -> None:
        if self.exclusion is not None:
            self.exclusion.require_inactive(now)

    @property
    def has_deposit_limit(self) -> bool:
        return any(lim.kind is LimitKind.DEPOSIT for lim in self.limits)
