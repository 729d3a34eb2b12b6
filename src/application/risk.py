"""Risk controls: the rules that raise flags for staff review, the review itself, the scan of
recent play, and the monitoring of each game's outcomes.

`RiskReview` holds the rules that run inside another use case's unit of work (a settlement,
a withdrawal request, a deposit), so that a flag and its audit entry commit or roll back
together with the money movement that raised it. Every new flag is also an audit entry; a
large win or wager is a significant event of its own, logged even while a flag for it is
already open. A player with an open flag has withdrawals held for review (see
`has_open_flags`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from application.ports import (
    Clock,
    RiskFlagQuery,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.reports import ReportReadModel, outcome_tests
from application.staff import Actor
from domain.bets import Bet, BetState
from domain.errors import InvalidRequest, NotFound
from domain.events import RiskFlagRaised
from domain.money import Money
from domain.outcome_tests import OutcomeTest
from domain.reports import ReportPeriod, ReportScope, RtpRow, rtp_rows
from domain.risk import (
    PaymentIdentityKind,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
    RiskPolicy,
    improbable,
    large_bet_evidence,
    normalize_identity,
    rapid_withdrawal,
    score_results,
    shared_identity_evidence,
)
from domain.staff import AuditAction, AuditEntry

log = logging.getLogger(__name__)

SYSTEM = "system"
MAX_PAGE = 200
MAX_MONITOR_DAYS = 366

_LARGE_BET_ACTION = {
    RiskFlagKind.LARGE_WIN: AuditAction.LARGE_WIN,
    RiskFlagKind.LARGE_WAGER: AuditAction.LARGE_WAGER,
}


class RiskReview:
    """The risk rules, run in the caller's unit of work (the caller commits)."""

    def __init__(self, policy: RiskPolicy) -> None:
        self.policy = policy

    async def on_bet_settled(self, uow: UnitOfWork, bet: Bet) -> list[RiskFlag]:
        """After a bet is won or lost: a win or a stake at or above its currency's threshold
        is a significant event (audited every time) and raises a flag (once while open).
        Voided and open bets are ignored. Returns the flags raised."""
        if bet.state not in (BetState.WON, BetState.LOST) or bet.payout is None:
            return []
        findings = large_bet_evidence(
            bet_id=str(bet.id),
            game=bet.game,
            currency=bet.stake.currency.code,
            stake=bet.stake.amount,
            payout=bet.payout,
            policy=self.policy,
        )
        at = bet.settled_at or bet.placed_at
        raised = []
        for kind, evidence in findings.items():
            flag = await self._raise(uow, RiskFlag(bet.player_id, kind, evidence, at))
            if flag is not None:
                raised.append(flag)
            await uow.audit.record(
                AuditEntry(
                    _LARGE_BET_ACTION[kind],
                    at,
                    SYSTEM,
                    f"player:{bet.player_id}",
                    after={**evidence, "flag_id": flag.id if flag else None},
                )
            )
        return raised

    async def on_withdrawal_requested(
        self,
        uow: UnitOfWork,
        player_id: int,
        amount: Money,
        destination: str | None,
        now: datetime,
    ) -> list[RiskFlag]:
        """When a player asks to withdraw `amount`: the rapid deposit → withdrawal rule, the
        improbable-results rule over the scan window, and (with a destination) the shared
        payment identity rule. Returns the flags raised by this call; whether the request
        must wait for review is `has_open_flags` (an older open flag counts too)."""
        raised = []
        since = now - self.policy.rapid_window
        funding = await uow.risk.funding(player_id, amount.currency, since)
        evidence = rapid_withdrawal(funding, amount.amount, now, self.policy)
        if evidence is not None:
            flag = await self._raise(
                uow, RiskFlag(player_id, RiskFlagKind.RAPID_WITHDRAWAL, evidence, now)
            )
            if flag is not None:
                raised.append(flag)
        raised += await self.check_results(uow, now, player_id)
        if destination is not None and destination.strip():
            raised += await self.record_payment_identity(
                uow, player_id, PaymentIdentityKind.WITHDRAWAL_DESTINATION, destination, now
            )
        return raised

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        """`application.ports.WithdrawalHolds`: run the withdrawal rules above, then name
        every open flag of the player ("rapid_withdrawal (flag 12)"); each holds the request
        for review until staff close it."""
        await self.on_withdrawal_requested(uow, player_id, amount, destination, now)
        flags = await uow.risk.list(
            RiskFlagQuery(status=RiskFlagStatus.OPEN, player_id=player_id, limit=MAX_PAGE)
        )
        return [f"{flag.kind.value} (flag {flag.id})" for flag in flags]

    async def record_payment_identity(
        self,
        uow: UnitOfWork,
        player_id: int,
        kind: PaymentIdentityKind,
        identity: str,
        now: datetime,
    ) -> list[RiskFlag]:
        """Remember (as a keyed digest) that the player paid from or to `identity`; when
        another player has used it too, flag every player sharing it. Returns the flags
        raised."""
        normalized = normalize_identity(identity)
        digest, players = await uow.risk.add_identity(kind, normalized, player_id, now)
        if len(players) < 2:
            return []
        evidence = shared_identity_evidence(kind, digest, players, player_id)
        raised = []
        for holder in players:
            flag = await self._raise(
                uow, RiskFlag(holder, RiskFlagKind.SHARED_PAYMENT_IDENTITY, evidence, now)
            )
            if flag is not None:
                raised.append(flag)
        return raised

    async def check_results(
        self, uow: UnitOfWork, now: datetime, player_id: int | None = None
    ) -> list[RiskFlag]:
        """The improbable-results rule over the bets settled in the scan window before
        `now`, for one player or for everyone. Returns the flags raised."""
        since = now - self.policy.scan_window
        cells = await uow.risk.bet_cells(since, now, player_id)
        raised = []
        for score in score_results(cells):
            if not improbable(score, self.policy):
                continue
            evidence = score.evidence(self.policy, since, now)
            flag = await self._raise(
                uow,
                RiskFlag(score.player_id, RiskFlagKind.IMPROBABLE_RESULTS, evidence, now),
            )
            if flag is not None:
                raised.append(flag)
        return raised

    async def has_open_flags(self, uow: UnitOfWork, player_id: int) -> bool:
        """Whether the player has a flag waiting for review (their withdrawals wait too)."""
        return await uow.risk.has_open(player_id)

    async def _raise(self, uow: UnitOfWork, flag: RiskFlag) -> RiskFlag | None:
        added = await uow.risk.add_flag(flag)
        if added is None:
            return None
        uow.raise_events(RiskFlagRaised(added))  # the staff feed shows it
        log.warning("risk flag %s raised: %s for player %s", added.id, added.kind, added.player_id)
        await uow.audit.record(
            AuditEntry(
                AuditAction.RISK_FLAG_RAISED,
                added.raised_at,
                SYSTEM,
                f"player:{added.player_id}",
                after={"flag_id": added.id, "kind": added.kind.value, **added.evidence},
            )
        )
        return added


# Hand-built use cases (tests, tools) get the rules without large-bet thresholds; the
# application's container passes the configured review.
DEFAULT_RISK_REVIEW = RiskReview(RiskPolicy())


class RecordPaymentIdentity:
    """Record a payment identity a player used, in a unit of work of its own, flagging every
    account that shares it. For entrypoints that learn an identity outside a money movement;
    inside one, call `RiskReview.record_payment_identity` with that unit of work."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, review: RiskReview) -> None:
        self._uow = uow
        self._clock = clock
        self._review = review

    async def __call__(
        self, player_id: int, kind: PaymentIdentityKind, identity: str
    ) -> list[RiskFlag]:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            raised = await self._review.record_payment_identity(
                uow, player_id, kind, identity, self._clock.now()
            )
            await uow.commit()
        return raised


class HasOpenRiskFlags:
    """Whether a player has a risk flag waiting for staff review."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.risk.has_open(player_id)


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


class ListRiskFlags:
    """Risk flags, newest first, filtered by status, player and kind; paged by id."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        if not 1 <= query.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        async with self._uow() as uow:
            return await uow.risk.list(query)


def _check_id(flag_id: int) -> None:
    if not 1 <= flag_id < 2**63:  # no stored flag has one; the database could not look it up
        raise NotFound(f"there is no risk flag {flag_id}")


class GetRiskFlag:
    """One risk flag with its evidence, or `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, flag_id: int) -> RiskFlag:
        _check_id(flag_id)
        async with self._uow() as uow:
            return await uow.risk.get(flag_id)


class ReviewRiskFlag:
    """Resolve or dismiss an open flag with a note; once, even under concurrent clicks (the
    flag's row is locked), and audited in the same transaction."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, flag_id: int, decision: RiskFlagStatus, note: str, actor: Actor
    ) -> RiskFlag:
        _check_id(flag_id)
        async with self._uow() as uow:
            flag = await uow.risk.get(flag_id, for_update=True)
            now = self._clock.now()
            reviewed = flag.review(decision, by=actor.label, at=now, note=note)
            await uow.risk.save(reviewed)
            action = (
                AuditAction.RISK_FLAG_RESOLVED
                if decision is RiskFlagStatus.RESOLVED
                else AuditAction.RISK_FLAG_DISMISSED
            )
            await uow.audit.record(
                AuditEntry(
                    action,
                    now,
                    actor.label,
                    f"player:{flag.player_id}",
                    actor.source,
                    before={"flag_id": flag.id, "status": flag.status.value},
                    after={
                        "flag_id": flag.id,
                        "kind": flag.kind.value,
                        "status": reviewed.status.value,
                        "note": reviewed.note,
                    },
                )
            )
            await uow.commit()
        return reviewed


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
