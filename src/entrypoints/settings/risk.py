"""Risk flags, outcome monitoring and velocity limits. The defaults of the risk rules are the
domain's (`domain.risk.RiskPolicy` and its large-win and large-wager thresholds); these
settings only override them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic.dataclasses import dataclass

from domain.risk import LARGE_WAGER_THRESHOLDS, LARGE_WIN_THRESHOLDS, RiskPolicy
from entrypoints.settings.declaring import CONFIG, setting
from entrypoints.settings.values import PositiveAmounts

_POLICY = RiskPolicy()


@dataclass(frozen=True, config=CONFIG)
class Risk:
    """Risk and velocity"""

    risk_z_threshold: float = setting(
        _POLICY.z_threshold,
        doc="Improbable-results flag: a player's net result more than this many standard "
        "deviations above what their bets should give.",
        ge=0.5,
        le=100,
        allow_inf_nan=False,
    )
    risk_min_bets: int = setting(
        _POLICY.min_bets,
        doc="Fewest settled bets in the scan window before the improbable-results rule judges "
        "a player.",
        ge=2,
        le=1_000_000,
    )
    risk_scan_days: int = setting(
        _POLICY.scan_window.days,
        doc="Days of settled bets the improbable-results rule looks at, in `croupier risk scan` "
        "and on a withdrawal request.",
        ge=1,
        le=366,
    )
    risk_rapid_withdrawal_hours: int = setting(
        _POLICY.rapid_window // timedelta(hours=1),
        doc="Rapid-withdrawal flag: a withdrawal requested within this many hours of deposits, "
        "too little of which was wagered since.",
        ge=1,
        le=720,
    )
    risk_min_play_ratio: Decimal = setting(
        Decimal(_POLICY.min_play_ratio.numerator) / _POLICY.min_play_ratio.denominator,
        doc="Rapid-withdrawal flag: the share of those deposits that must have been wagered "
        "for no flag (a decimal; 0.5 is half).",
        ge=0,
        le=100,
        allow_inf_nan=False,
    )
    risk_large_win: PositiveAmounts = setting(
        env="RISK_LARGE_WIN_THRESHOLDS",
        factory=lambda: dict(LARGE_WIN_THRESHOLDS),
        doc="Per currency, in minor units: a single payout at or above this is a significant "
        "event (audited) and raises a flag. A currency not listed has no threshold: play "
        "money (FUN) has none by default. The defaults are the domain's (`RiskPolicy()`), so "
        "a use case built without settings flags large wins too.",
    )
    risk_large_wager: PositiveAmounts = setting(
        env="RISK_LARGE_WAGER_THRESHOLDS",
        factory=lambda: dict(LARGE_WAGER_THRESHOLDS),
        doc="Per currency, in minor units: a single settled stake at or above this is a "
        "significant event (audited) and raises a flag.",
    )
    risk_outcome_alpha: float = setting(
        _POLICY.outcome_alpha,
        doc="Outcome monitoring: a game whose outcomes fail the chi-square test with a p-value "
        "below this raises an alert.",
        gt=0,
        lt=0.5,
        allow_inf_nan=False,
    )
    risk_monitor_interval_s: int = setting(
        3600,
        doc="How often `croupier run` tests today's outcomes of every game (seconds, 0: never; "
        "`croupier risk monitor` runs the same test by hand or from cron).",
        ge=0,
        le=7 * 86_400,
    )
    velocity_bets_per_second: int = setting(
        20,
        doc="Most bets (seamless debits included) one player may place in any 1-second window "
        "(0: off). Counted in Redis; while Redis is down bets are let through.",
        ge=0,
        le=1000,
    )
    velocity_deposits_per_hour: int = setting(
        10,
        doc="Most processor deposits one player may make in any 1-hour window (0: off). "
        "Counted in Redis; while Redis is down deposits are refused (retryable).",
        ge=0,
        le=1000,
    )
