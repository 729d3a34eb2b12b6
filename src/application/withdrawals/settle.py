"""The payout's result: paid (the money leaves the books) or failed (it returns to the wallet)."""

from __future__ import annotations

import uuid

from application.staff import Actor
from application.withdrawals.steps import Steps
from domain.withdrawals import Withdrawal


class MarkWithdrawalPaid(Steps):
    """Confirm that an approved withdrawal's payout arrived, with the provider's or bank's
    reference; its money leaves the books. A repeat with the same reference returns it
    unchanged, another reference is an `IdempotencyConflict`. With manual payouts, marking
    paid is how staff pay, so a blocked player's withdrawal is frozen here too
    (`WithdrawalFrozen`) until the block is lifted."""

    async def __call__(self, withdrawal_id: uuid.UUID, reference: str, actor: Actor) -> Withdrawal:
        return await self._mark_paid(withdrawal_id, reference, actor)


class MarkWithdrawalFailed(Steps):
    """Record that an approved withdrawal's payout failed; its money returns to the wallet.
    A repeat returns it unchanged."""

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        return await self._mark_failed(withdrawal_id, reason, actor)
