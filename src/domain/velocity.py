"""Velocity limits: how many bets, or deposits, one player may make in a short sliding window.

They guard against scripts and stolen-card bursts, not against losing money: the money rules
(balances, responsible-gambling limits) live in PostgreSQL and hold without them. The counts
live in Redis, so each limit says what happens when Redis cannot answer (`fail_open`)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import timedelta

from domain.errors import DomainError, InvalidRequest, RateLimited


class VelocityAction(enum.StrEnum):
    BET = "bet"  # a bet placed, through any entrypoint, or a seamless debit
    DEPOSIT = "deposit"  # a processor's deposit credited to a wallet


@dataclass(frozen=True, slots=True)
class VelocityLimit:
    """At most `max_count` of `action` per player in any window of `window`. `fail_open`:
    when the counters cannot be read, let the action through (True) or refuse it (False)."""

    action: VelocityAction
    max_count: int
    window: timedelta
    fail_open: bool

    def __post_init__(self) -> None:
        if isinstance(self.max_count, bool) or self.max_count < 1:
            raise InvalidRequest(f"a velocity limit allows at least 1, got {self.max_count!r}")
        if self.window <= timedelta(0):
            raise InvalidRequest("a velocity window is positive")

    @property
    def description(self) -> str:
        seconds = int(self.window.total_seconds())
        unit = {1: "second", 60: "minute", 3600: "hour"}.get(seconds, f"{seconds} seconds")
        noun = {"bet": "bets", "deposit": "deposits"}[self.action.value]
        return f"{self.max_count} {noun} per {unit}"


class VelocityLimited(RateLimited):
    """Too many bets or deposits in the window. `retry_after`: whole seconds until one more
    fits (at least 1)."""

    code = "velocity_limited"

    def __init__(self, limit: VelocityLimit, wait: timedelta) -> None:
        self.limit = limit
        self.action = limit.action
        self.retry_after = max(1, math.ceil(wait.total_seconds()))
        super().__init__(
            f"Slow down: at most {limit.description} are accepted. "
            f"Try again in {self.retry_after} s."
        )


class VelocityUnavailable(DomainError):
    """A fail-closed velocity limit could not be checked (its counters are unreachable), so
    the action is refused for now; nothing was written and a retry later may pass."""

    code = "velocity_unavailable"

    def __init__(self, limit: VelocityLimit) -> None:
        self.limit = limit
        self.action = limit.action
        super().__init__(
            f"{limit.action.value.capitalize()}s cannot be accepted right now (a safety check "
            "is unavailable); nothing was taken. Please try again in a minute."
        )
