"""Time-outs and self-exclusion: no bets and no deposits until they end; nothing ends one early."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidRequest
from domain.responsible.refusal import ResponsibleGamblingRefusal, add_months, format_moment


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
