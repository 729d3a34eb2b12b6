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

One part a module: `limits`, `exclusion`, `reality_check`, and `profile` (what the guard
decides with); `refusal` holds the refusal they raise. The names are re-exported here."""

from domain.responsible.exclusion import (
    Exclusion,
    ExclusionKind,
    SelfExclusionPeriod,
    TimeoutPeriod,
    parse_self_exclusion_period,
    parse_timeout_period,
)
from domain.responsible.limits import (
    BET_LIMIT_KINDS,
    DEPOSIT_LIMIT_KINDS,
    MAX_LIMIT_WHOLE_UNITS,
    LimitKind,
    LimitPeriod,
    LimitTooLarge,
    PendingChange,
    PlayerLimit,
    Usage,
    applicable_limits,
    binding_limit,
    check_bet_limits,
    check_deposit_limits,
    check_limits,
    max_limit,
    parse_limit_kind,
    parse_limit_period,
)
from domain.responsible.profile import ResponsibleProfile
from domain.responsible.reality_check import RealityCheck, validate_reality_check_minutes
from domain.responsible.refusal import (
    COOLING_OFF,
    MAX_REALITY_CHECK_MINUTES,
    MIN_REALITY_CHECK_MINUTES,
    SESSION_BREAK,
    DepositLimitPromptDue,
    ResponsibleGamblingRefusal,
    add_months,
    format_duration,
    format_moment,
)

__all__ = [
    "BET_LIMIT_KINDS",
    "COOLING_OFF",
    "DEPOSIT_LIMIT_KINDS",
    "MAX_LIMIT_WHOLE_UNITS",
    "MAX_REALITY_CHECK_MINUTES",
    "MIN_REALITY_CHECK_MINUTES",
    "SESSION_BREAK",
    "DepositLimitPromptDue",
    "Exclusion",
    "ExclusionKind",
    "LimitKind",
    "LimitPeriod",
    "LimitTooLarge",
    "PendingChange",
    "PlayerLimit",
    "RealityCheck",
    "ResponsibleGamblingRefusal",
    "ResponsibleProfile",
    "SelfExclusionPeriod",
    "TimeoutPeriod",
    "Usage",
    "add_months",
    "applicable_limits",
    "binding_limit",
    "check_bet_limits",
    "check_deposit_limits",
    "check_limits",
    "format_duration",
    "format_moment",
    "max_limit",
    "parse_limit_kind",
    "parse_limit_period",
    "parse_self_exclusion_period",
    "parse_timeout_period",
    "validate_reality_check_minutes",
]
