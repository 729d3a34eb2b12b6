"""What the adjustment steps share: posting an approved request and auditing each step
(`Adjuster`), and what they answer (`AdjustmentOutcome`)."""

from __future__ import annotations

from dataclasses import dataclass

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.postings import WalletPoster, WalletPosting
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.staff import Actor
from domain.adjustments import AdjustmentRequest, FourEyesPolicy
from domain.postings import requested_adjustment
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class AdjustmentOutcome:
    request: AdjustmentRequest
    posting: WalletPosting | None  # None while it waits for approval


class Adjuster(WalletPoster):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        policy: FourEyesPolicy,
        review: RiskReview = DEFAULT_RISK_REVIEW,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._policy = policy
        self._review = review

    async def _post_request(
        self, uow: UnitOfWork, request: AdjustmentRequest, approver: str
    ) -> WalletPosting:
        # The request id makes the posting idempotent: one request, one movement.
        return await self._post_in(
            uow, request.player_id, requested_adjustment(request, approved_by=approver)
        )

    async def _audit(
        self,
        uow: UnitOfWork,
        action: AuditAction,
        actor: Actor,
        request: AdjustmentRequest,
        before: dict[str, object] | None = None,
    ) -> None:
        await uow.audit.record(
            AuditEntry(
                action,
                self._clock.now(),
                actor.label,
                f"player:{request.player_id}",
                actor.source,
                before=before,
                after={
                    "request_id": str(request.id),
                    "amount": request.amount.amount,
                    "currency": request.amount.currency.code,
                    "reason": request.reason,
                    "state": request.state.value,
                    "transaction_id": str(request.transaction_id or ""),
                },
            )
        )
