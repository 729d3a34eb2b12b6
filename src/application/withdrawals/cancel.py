"""A player takes back a withdrawal nobody has approved yet; its money returns to the wallet."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.staff import Actor
from application.withdrawals.steps import CANCEL, Steps
from domain.errors import NotFound
from domain.withdrawals import Withdrawal


def _require_own(withdrawal: Withdrawal, player_id: int) -> None:
    # Someone else's withdrawal is answered as if it did not exist: a player learns nothing
    # about other players' ids by guessing.
    if withdrawal.player_id != player_id:
        raise NotFound(f"no withdrawal {withdrawal.id}")


class CancelWithdrawal(Steps):
    """The player cancels their own withdrawal while it is still `requested` (a first of two
    approvals does not stop it: nothing has moved yet). Its money moves from withdrawals
    pending back to the wallet in one ledger transaction, with the audit entry (actor
    `player:<id>`) and the `withdrawal.cancelled` event. Cancelling a cancelled one returns
    it unchanged; one approved, paid, failed or rejected is an `IllegalWithdrawalTransition`
    naming its state; another player's is `NotFound`. The player's standing is not asked:
    taking money back into one's own wallet is always allowed."""

    async def __call__(self, player_id: int, withdrawal_id: uuid.UUID) -> Withdrawal:
        def cancel(current: Withdrawal, now: datetime, transaction_id: uuid.UUID) -> Withdrawal:
            _require_own(current, player_id)  # before its state can be told by a refusal
            return current.cancel(now, transaction_id)

        return await self._decide(
            withdrawal_id,
            CANCEL,
            Actor.player(player_id),
            cancel,
            lambda cancelled: _require_own(cancelled, player_id),
        )
