"""Staff approve a withdrawal, and the payout gateway is called after the approval commits."""

from __future__ import annotations

import uuid

from application.house import HouseBook
from application.ports import Clock, IdGenerator, PayoutGateway, UnitOfWork, UnitOfWorkFactory
from application.staff import Actor
from application.withdrawals.chain import DEFAULT_STAFF_CHAIN, StaffChain
from application.withdrawals.payout import DEFAULT_TIMING, PayoutTiming, PaysOut
from application.withdrawals.steps import APPROVE, require_standing
from domain.staff import AuditAction
from domain.standing import Operation
from domain.withdrawal_policy import SECOND_APPROVAL_THRESHOLDS, SecondApprovalPolicy
from domain.withdrawals import Withdrawal, WithdrawalRefused, WithdrawalState

# Hand-built use cases (tests, tools) use the casino's thresholds; the application's
# container passes the configured ones.
SECOND_APPROVAL = SecondApprovalPolicy(SECOND_APPROVAL_THRESHOLDS)


class ApproveWithdrawal(PaysOut):
    """Approve a requested withdrawal: its money moves on to payout clearing, and once that
    has committed the payout gateway is asked to pay. A declined payout fails the withdrawal
    (the money returns to the wallet); a payout the gateway completes marks it paid; an
    unknown outcome (the gateway raised) leaves it approved for staff to settle. Approving an
    approved withdrawal returns it unchanged (and calls nothing); one already decided
    otherwise is an `IllegalTransition`. A blocked player's withdrawal is frozen
    (`WithdrawalFrozen`): it waits for the block to be lifted, or to be rejected; a block that
    lands between the approval and the gateway's call stops the call, and the withdrawal
    waits, approved, for staff. Whoever adjusted the player's balance within the four-eyes
    window may not approve (`StaffChain`: `Forbidden`, and a risk flag). A withdrawal above
    its currency's second-approval threshold needs two finance users: the first approval is
    recorded and returns it still requested (a repeat by the same user returns it
    unchanged), a different user's approval completes it."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
        chain: StaffChain = DEFAULT_STAFF_CHAIN,
        second: SecondApprovalPolicy = SECOND_APPROVAL,
        *,
        timing: PayoutTiming = DEFAULT_TIMING,
    ) -> None:
        super().__init__(uow, clock, ids, house, payouts, timing=timing)
        self._chain = chain
        self._second = second

    async def __call__(self, withdrawal_id: uuid.UUID, actor: Actor) -> Withdrawal:
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is APPROVE.reached:
                return current
            now, transaction_id = self._clock.now(), self._ids.new_id()
            if current.state is WithdrawalState.REQUESTED:
                await self._chain.refuse(uow, current, actor, "approve", now)
                await require_standing(uow, current.player_id, Operation.PAY_OUT, now)
                if await uow.risk.has_open(current.player_id):
                    # A flagged player's money waits until someone has looked at the flags.
                    raise WithdrawalRefused(
                        "risk_review",
                        "the player has risk flags waiting for review; resolve or dismiss "
                        "them before approving (rejecting is always possible)",
                    )
                if self._second.needs_second(current.amount):
                    if current.first_approved_by is None:
                        return await self._approve_first(uow, current, actor)
                    if current.first_approved_by == actor.label:
                        return current  # a repeat of the first: it waits for someone else
            approved = current.approve(actor.label, now, transaction_id)
            await self._record(uow, current, approved, APPROVE, actor, transaction_id, now)
            await uow.commit()
        return await self._pay_out(approved)

    async def _approve_first(
        self, uow: UnitOfWork, current: Withdrawal, actor: Actor
    ) -> Withdrawal:
        """The first of two approvals: recorded and audited; nothing moves, nothing is sent."""
        now = self._clock.now()
        half = current.approve_first(actor.label, now)
        await uow.withdrawals.save(half, current.state)
        await self._audit(uow, AuditAction.WITHDRAWAL_FIRST_APPROVAL, actor, half, current, now)
        await uow.commit()
        return half
