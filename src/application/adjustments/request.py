"""A staff member asks for an adjustment: a small one posts at once, a large one waits for a
second finance user."""

from __future__ import annotations

import uuid

from application.adjustments.adjuster import Adjuster, AdjustmentOutcome
from application.staff import Actor
from domain.adjustments import AdjustmentRequest, AdjustmentState, validate_reason
from domain.money import Money
from domain.staff import AuditAction


class RequestAdjustment(Adjuster):
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
