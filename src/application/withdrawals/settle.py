"""The payout's result: paid (the money leaves the books) or failed (it returns to the wallet)."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.staff import Actor
from application.withdrawals.chain import DEFAULT_STAFF_CHAIN, StaffChain
from application.withdrawals.steps import Steps
from domain.withdrawals import Withdrawal


class MarkWithdrawalPaid(Steps):
    """Confirm that an approved withdrawal's payout arrived, with the provider's or bank's
    reference; its money leaves the books. A repeat with the same reference returns it
    unchanged, another reference is an `IdempotencyConflict`. With manual payouts, marking
    paid is how staff pay, so a blocked player's withdrawal is frozen here too
    (`WithdrawalFrozen`) until the block is lifted, and whoever adjusted the player's balance
    within the four-eyes window may not do it (`StaffChain`: `Forbidden`, and a risk flag)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        chain: StaffChain = DEFAULT_STAFF_CHAIN,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._chain = chain

    async def __call__(self, withdrawal_id: uuid.UUID, reference: str, actor: Actor) -> Withdrawal:
        async def not_in_a_chain(uow: UnitOfWork, current: Withdrawal, now: datetime) -> None:
            await self._chain.refuse(uow, current, actor, "mark paid", now)

        return await self._mark_paid(withdrawal_id, reference, actor, guard=not_in_a_chain)


class MarkWithdrawalFailed(Steps):
    """Record that an approved withdrawal's payout failed; its money returns to the wallet.
    A repeat returns it unchanged."""

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        return await self._mark_failed(withdrawal_id, reason, actor)
