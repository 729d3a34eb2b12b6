"""Reality checks: at the player's interval, the next bet waits for an acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import InvalidRequest
from domain.money import Money
from domain.quoting import excerpt
from domain.responsible.refusal import (
    MAX_REALITY_CHECK_MINUTES,
    MIN_REALITY_CHECK_MINUTES,
    SESSION_BREAK,
    ResponsibleGamblingRefusal,
    format_duration,
    format_moment,
)


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
