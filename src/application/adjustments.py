"""Staff adjustments with the four-eyes rule: small ones post at once, large ones wait for a
second finance user. Each step and its audit entry commit together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.postings import WalletPoster, WalletPosting
from application.staff import Actor
from domain.adjustments import (
    AdjustmentRequest,
    AdjustmentState,
    FourEyesPolicy,
    validate_reason,
)
from domain.errors import InvalidRequest
from domain.money import Money
from domain.postings import requested_adjustment
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class AdjustmentOutcome:
    request: AdjustmentRequest
    posting: WalletPosting | None  # None while it waits for approval


class _Adjuster(WalletPoster):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        policy: FourEyesPolicy,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._policy = policy

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


class RequestAdjustment(_Adjuster):
    """Credit (positive amount) or debit (negative) a player with a mandatory reason. At or
    below the four-eyes threshold it posts at once; above, it waits as a pending request."""

    async def __call__(
        self, player_id: int, amount: Money, reason: str, actor: Actor, request_id: uuid.UUID
    ) -> AdjustmentOutcome:
        now = self._clock.now()
        request = AdjustmentRequest(
            id=request_id,
            player_id=player_id,
            amount=amount,
            reason=validate_reason(reason),
            requested_by=actor.label,
            requested_at=now,
        )
        async with self._uow() as uow:
            await uow.players.get(player_id)
            if self._policy.needs_approval(amount):
                await uow.adjustments.add(request)
                await self._audit(uow, AuditAction.ADJUSTMENT_REQUESTED, actor, request)
                await uow.commit()
                return AdjustmentOutcome(request, None)
            posting = await self._post_request(uow, request, approver="(below four-eyes limit)")
            posted = AdjustmentRequest(
                id=request.id,
                player_id=player_id,
                amount=amount,
                reason=request.reason,
                requested_by=actor.label,
                requested_at=now,
                state=AdjustmentState.APPROVED,
                transaction_id=posting.transaction.id,
            )
            await self._audit(uow, AuditAction.ADJUSTMENT_POSTED, actor, posted)
            await uow.commit()
        return AdjustmentOutcome(posted, posting)


class DecideAdjustment(_Adjuster):
    """Approve (posting it) or reject a pending adjustment. The decider must be a different
    person from the requester; a request is decided once, even under concurrent clicks."""

    async def __call__(
        self, request_id: uuid.UUID, approve: bool, actor: Actor
    ) -> AdjustmentOutcome:
        async with self._uow() as uow:
            pending = await uow.adjustments.get(request_id, for_update=True)
            before: dict[str, object] = {"state": pending.state.value}
            now = self._clock.now()
            posting = None
            if approve:
                posting = await self._post_request(uow, pending, approver=actor.label)
                decided = pending.approve(actor.label, now, posting.transaction.id)
                action = AuditAction.ADJUSTMENT_APPROVED
            else:
                decided = pending.reject(actor.label, now)
                action = AuditAction.ADJUSTMENT_REJECTED
            await uow.adjustments.save(decided)
            await self._audit(uow, action, actor, decided, before)
            await uow.commit()
        return AdjustmentOutcome(decided, posting)


class ListAdjustments:
    """Adjustment requests, newest first, optionally only those in one state."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, state: AdjustmentState | None, limit: int = 50
    ) -> Sequence[AdjustmentRequest]:
        if not 1 <= limit <= 200:
            raise InvalidRequest("limit must be between 1 and 200")
        async with self._uow() as uow:
            return await uow.adjustments.list(state, limit)
