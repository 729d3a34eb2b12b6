"""Risk: the policy from the settings and the rules every bet and withdrawal passes (every
door that moves money needs them), apart from the scans, the outcome monitor and the flags'
review (staff, the CLI and the relay's monitor only)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from dishka import Provider, Scope, provide

from application.risk import (
    GetRiskFlag,
    HasOpenRiskFlags,
    ListRiskFlags,
    MonitorOutcomes,
    RecordPaymentIdentity,
    ReviewRiskFlag,
    RiskReview,
    ScanPlayersForRisk,
)
from domain.risk import RiskPolicy
from entrypoints.settings import Settings


class RiskProvider(Provider):
    """The risk policy from settings and the rules (one per process), and the use cases the
    money flows call (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def risk_policy(self, settings: Settings) -> RiskPolicy:
        return RiskPolicy(
            z_threshold=settings.risk_z_threshold,
            min_bets=settings.risk_min_bets,
            scan_window=timedelta(days=settings.risk_scan_days),
            rapid_window=timedelta(hours=settings.risk_rapid_withdrawal_hours),
            min_play_ratio=Fraction(settings.risk_min_play_ratio),
            large_win=settings.risk_large_win,
            large_wager=settings.risk_large_wager,
            outcome_alpha=settings.risk_outcome_alpha,
        )

    risk_review = provide(RiskReview, scope=Scope.APP)
    record_payment_identity = provide(RecordPaymentIdentity)
    has_open_risk_flags = provide(HasOpenRiskFlags)


class RiskOversightProvider(Provider):
    """Scans and outcome monitoring, which raise flags, and the staff's review of them (one
    per request). The monitor reads the reports' read model (ReportsProvider)."""

    scope = Scope.REQUEST

    scan_players_for_risk = provide(ScanPlayersForRisk)
    monitor_outcomes = provide(MonitorOutcomes)
    list_risk_flags = provide(ListRiskFlags)
    get_risk_flag = provide(GetRiskFlag)
    review_risk_flag = provide(ReviewRiskFlag)
