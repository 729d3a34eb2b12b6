"""The scan of recent play: the rules that look at a player's history rather than one event."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.ports import Clock, UnitOfWorkFactory
from application.risk.review import MAX_MONITOR_DAYS, RiskReview
from domain.errors import InvalidRequest
from domain.risk import RiskFlag


@dataclass(frozen=True, slots=True)
class ScanResult:
    since: datetime
    until: datetime
    flags: tuple[RiskFlag, ...]


class ScanPlayersForRisk:
    """Run the improbable-results rule over every player's bets settled in the last `days`
    days (by default the policy's scan window). Idempotent: a player with an open flag of
    that kind gets no second one."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, review: RiskReview) -> None:
        self._uow = uow
        self._clock = clock
        self._review = review

    async def __call__(self, days: int | None = None) -> ScanResult:
        review = self._review
        if days is not None:
            if not 1 <= days <= MAX_MONITOR_DAYS:
                raise InvalidRequest(f"a scan covers 1 to {MAX_MONITOR_DAYS} days")
            review = RiskReview(replace(review.policy, scan_window=timedelta(days=days)))
        now = self._clock.now()
        async with self._uow() as uow:
            raised = await review.check_results(uow, now)
            await uow.commit()
        return ScanResult(now - review.policy.scan_window, now, tuple(raised))
