"""A second finance user approves (it posts) or rejects a waiting adjustment."""

from __future__ import annotations

import uuid

from application.adjustments.adjuster import Adjuster, AdjustmentOutcome
from application.staff import Actor
from domain.staff import AuditAction


class DecideAdjustment(Adjuster):
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
