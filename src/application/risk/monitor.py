"""The monitoring of each game's outcomes against its exact distribution."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from application.ports import Clock, UnitOfWorkFactory
from application.reports import ReportReadModel, outcome_tests
from application.risk.review import MAX_MONITOR_DAYS, SYSTEM, RiskReview
from domain.errors import InvalidRequest
from domain.outcome_tests import OutcomeTest
from domain.reports import ReportPeriod, ReportScope, RtpRow, rtp_rows
from domain.staff import AuditAction, AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MonitorResult:
    period: ReportPeriod
    outcomes: tuple[OutcomeTest, ...]
    rtp: tuple[RtpRow, ...]

    @property
    def alerts(self) -> int:
        return sum(t.alert for t in self.outcomes) + sum(r.drift for r in self.rtp)


class MonitorOutcomes:
    """Check every game over the last `days` UTC days (today included): its outcomes against
    theory (chi-square, alert below the policy's alpha) and its actual RTP per currency
    against theory (the RTP report's drift rule). Each alert is logged as a warning and
    written to the audit log as a significant event."""

    def __init__(
        self,
        reports: ReportReadModel,
        uow: UnitOfWorkFactory,
        clock: Clock,
        review: RiskReview,
    ) -> None:
        self._reports = reports
        self._uow = uow
        self._clock = clock
        self._policy = review.policy

    async def __call__(self, days: int = 7) -> MonitorResult:
        if not 1 <= days <= MAX_MONITOR_DAYS:
            raise InvalidRequest(f"monitoring covers 1 to {MAX_MONITOR_DAYS} days")
        now = self._clock.now().astimezone(UTC)
        today = now.date()
        period = ReportPeriod(today - timedelta(days=days - 1), today + timedelta(days=1))
        scope = ReportScope()
        outcomes = await outcome_tests(self._reports, period, scope, self._policy.outcome_alpha)
        data = await self._reports.rtp_data(period, scope)
        rtp = rtp_rows(data.cells, data.groups)
        result = MonitorResult(period, tuple(outcomes), tuple(rtp))
        if result.alerts:
            await self._record(result, now)
        return result

    async def _record(self, result: MonitorResult, now: datetime) -> None:
        window = {"from": result.period.since.isoformat(), "to": result.period.until.isoformat()}
        async with self._uow() as uow:
            for test in result.outcomes:
                if not test.alert:
                    continue
                assert test.test is not None
                log.warning(
                    "outcome alert: %s over %d bets, chi2=%.2f dof=%d p=%.3g",
                    test.game,
                    test.bets,
                    test.test.statistic,
                    test.test.dof,
                    test.test.p_value,
                )
                await uow.audit.record(
                    AuditEntry(
                        AuditAction.OUTCOME_ALERT,
                        now,
                        SYSTEM,
                        f"game:{test.game}",
                        after={
                            **window,
                            "bets": test.bets,
                            "chi2": test.test.statistic,
                            "dof": test.test.dof,
                            "p_value": test.test.p_value,
                            "alpha": self._policy.outcome_alpha,
                            "bins": [
                                {"bin": b.label, "observed": b.observed, "expected": b.expected}
                                for b in test.bins
                            ],
                        },
                    )
                )
            for row in result.rtp:
                if not row.drift:
                    continue
                log.warning(
                    "RTP drift: %s in %s, actual %s against theoretical %s over %d bets",
                    row.game,
                    row.currency,
                    float(row.actual or 0),
                    float(row.theoretical or 0),
                    row.bets,
                )
                await uow.audit.record(
                    AuditEntry(
                        AuditAction.RTP_DRIFT_ALERT,
                        now,
                        SYSTEM,
                        f"game:{row.game}",
                        after={
                            **window,
                            "currency": row.currency,
                            "bets": row.bets,
                            "stakes": row.stakes,
                            "wins": row.wins,
                            "actual_rtp": f"{float(row.actual or 0):.6f}",
                            "theoretical_rtp": f"{float(row.theoretical or 0):.6f}",
                        },
                    )
                )
            await uow.commit()
