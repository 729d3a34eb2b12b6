"""The refusal every responsible-gambling rule raises, how it words times and durations, and
the calendar arithmetic the periods need."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Final

from domain.errors import DomainError
from domain.money import Money

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


class DepositLimitPromptDue(DomainError):
    """UKGC RTS 12, the prompt at the first deposit: the player has neither set a deposit
    limit nor answered "No limit for now", so no deposit is offered yet. Every door that
    creates a deposit invoice (the bot, the Mini App) meets this from the use case and shows
    the player the choice; after it, the same request goes through."""

    code = "deposit_limit_prompt_due"
