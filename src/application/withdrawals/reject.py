"""Staff reject a withdrawal; its money returns to the wallet."""

from __future__ import annotations

import uuid

from application.staff import Actor
from application.withdrawals.steps import REJECT, Steps
from domain.withdrawals import Withdrawal, validate_reason


class RejectWithdrawal(Steps):
    """Reject a requested withdrawal with a reason; its money returns to the wallet. Rejecting
    a rejected one returns it unchanged; one already approved is an `IllegalTransition`."""

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        reason = validate_reason(reason)
        return await self._decide(
            withdrawal_id,
            REJECT,
            actor,
            lambda w, now, tx: w.reject(actor.label, now, reason, tx),
        )
