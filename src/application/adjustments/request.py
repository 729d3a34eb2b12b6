"""A staff member asks for an adjustment: a small one posts at once, a large one waits for a
second finance user. "Large" counts the staff member's and the player's adjustments over the
four-eyes window, not only this one."""

from __future__ import annotations

import uuid

from application.adjustments.adjuster import Adjuster, AdjustmentOutcome
from application.ports import UnitOfWork
from application.staff import Actor
from domain.adjustments import (
    AdjustmentRequest,
    AdjustmentState,
    same_request,
    validate_reason,
)
from domain.errors import IdempotencyConflict, NotFound
from domain.money import Money
from domain.staff import AuditAction

BELOW_LIMIT = "(below four-eyes limit)"


class RequestAdjustment(Adjuster):
    """Credit (positive amount) or debit (negative) a player with a mandatory reason. When
    this amount, and this amount added to what the staff member adjusted and to what the
    player was adjusted by over the four-eyes window, are all at or below the threshold, it
    posts at once; otherwise it waits as a pending request (and, when only the sums are over,
    raises a `staff_chain` risk flag). Every request is recorded under its id, which no other
    request may reuse (`IdempotencyConflict`); a retry with the same content answers as the
    first did."""

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
            # Read under the staff member's and the player's locks: a concurrent request waits
            # and then counts this one.
            totals = await uow.adjustments.window_totals(
                actor.label, player_id, amount.currency.code, now - self._policy.window
            )
            replay = await self._replay(uow, request)
            if replay is not None:
                return replay
            if self._policy.needs_approval(amount, totals):
                await uow.adjustments.add(request)
                await self._audit(uow, AuditAction.ADJUSTMENT_REQUESTED, actor, request)
                if self._policy.split_up(amount, totals):
                    evidence = self._policy.chain_evidence(amount, totals, actor.label, request.id)
                    await self._review.on_staff_chain(uow, player_id, evidence, now)
                await uow.commit()
                return AdjustmentOutcome(request, None)
            posting = await self._post_request(uow, request, approver=BELOW_LIMIT)
            posted = request.approve(BELOW_LIMIT, now, posting.transaction.id)
            await uow.adjustments.add(posted)
            await self._audit(uow, AuditAction.ADJUSTMENT_POSTED, actor, posted)
            await uow.commit()
        return AdjustmentOutcome(posted, posting)

    async def _replay(
        self, uow: UnitOfWork, request: AdjustmentRequest
    ) -> AdjustmentOutcome | None:
        """A retry answers as the first request did; another request reusing its id (which
        would make a pending one unpostable) is refused."""
        try:
            existing = await uow.adjustments.get(request.id)
        except NotFound:
            return None
        if not same_request(existing, request):
            raise IdempotencyConflict(f"adjustment request id {request.id} is taken")
        if existing.state is AdjustmentState.APPROVED and existing.decided_by == BELOW_LIMIT:
            # Posting again replays the first posting (same key, same content).
            return AdjustmentOutcome(
                existing, await self._post_request(uow, existing, approver=BELOW_LIMIT)
            )
        return AdjustmentOutcome(existing, None)
