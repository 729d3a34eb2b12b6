"""Whoever credited a player does not pay that player out: the staff-chain check that the
approval and the marking paid of a withdrawal make."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.ports import UnitOfWork
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.staff import Actor
from domain.adjustments import FOUR_EYES_THRESHOLDS, FourEyesPolicy
from domain.errors import Forbidden
from domain.withdrawals import Withdrawal


class StaffChain:
    """A staff member who asked for or approved an adjustment of a player's balance within
    the four-eyes window (pending or posted; a rejected one moved nothing) may not approve or
    mark paid that player's withdrawals: another finance user must. The attempt is refused
    (`Forbidden`) and raises a `staff_chain` risk flag with the adjustments as evidence; the
    flag commits although the step does not."""

    def __init__(self, policy: FourEyesPolicy, review: RiskReview) -> None:
        self._policy = policy
        self._review = review

    async def refuse(
        self, uow: UnitOfWork, withdrawal: Withdrawal, actor: Actor, step: str, now: datetime
    ) -> None:
        """Raise `Forbidden` (after committing the flag, which ends `uow`) when `actor` is in
        a chain with the withdrawal's player; return otherwise."""
        since = now - self._policy.window
        adjustments = await uow.adjustments.involving(withdrawal.player_id, actor.label, since)
        if not adjustments:
            return
        hours = self._policy.window / timedelta(hours=1)
        evidence: dict[str, object] = {
            "rule": "adjusted_then_paid_out",
            "staff": actor.label,
            "step": step,
            "withdrawal_id": str(withdrawal.id),
            "currency": withdrawal.amount.currency.code,
            "amount": withdrawal.amount.amount,
            "adjustments": [
                {
                    "request_id": str(a.id),
                    "currency": a.amount.currency.code,
                    "amount": a.amount.amount,
                    "state": a.state.value,
                    "requested_by": a.requested_by,
                    "decided_by": a.decided_by,
                }
                for a in adjustments
            ],
            "window_hours": hours,
        }
        await self._review.on_staff_chain(uow, withdrawal.player_id, evidence, now)
        await uow.commit()
        raise Forbidden(
            f"you adjusted this player's balance within the last {hours:g} hours "
            f"(adjustment {adjustments[0].id}); another finance user must {step} "
            "this withdrawal"
        )


# Hand-built use cases (tests, tools) check with the casino's default window; the
# application's container passes the configured one.
DEFAULT_STAFF_CHAIN = StaffChain(FourEyesPolicy(FOUR_EYES_THRESHOLDS), DEFAULT_RISK_REVIEW)
