"""What every step of a withdrawal's state machine shares: who may step (the standing), the
steps' ledger movements, audit and events (`Step`), and the locking, posting and recording
(`Steps`). One use case a module beside it: `request`, `approve`, `reject`, `settle`, `cancel`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ledger_use_case import LedgerUseCase
from application.ports import UnitOfWork
from application.staff import Actor
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, InsufficientFunds
from domain.events import (
    WithdrawalApproved,
    WithdrawalCancelled,
    WithdrawalEvent,
    WithdrawalFailed,
    WithdrawalPaid,
    WithdrawalRejected,
    transactions_posted,
)
from domain.money import Money
from domain.postings import withdrawal_step
from domain.staff import AuditAction, AuditEntry
from domain.standing import Operation
from domain.withdrawals import (
    Withdrawal,
    WithdrawalState,
    validate_payout_reference,
    validate_reason,
)

SYSTEM = Actor("system")

# A check a step makes on the locked withdrawal before moving it (it raises to refuse).
Guard = Callable[[UnitOfWork, Withdrawal, datetime], Awaitable[None]]


class NoWithdrawalHolds:
    """Nothing holds withdrawals: the wiring until risk flags provide the holds."""

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        return ()


async def require_standing(
    uow: UnitOfWork, player_id: int, operation: Operation, now: datetime
) -> None:
    (await uow.players.standing(player_id)).require(operation, now)


def facts(withdrawal: Withdrawal) -> dict[str, object]:
    return {
        "withdrawal_id": str(withdrawal.id),
        "amount": withdrawal.amount.amount,
        "currency": withdrawal.amount.currency.code,
        "destination": withdrawal.destination,
        "state": withdrawal.state.value,
        "holds": list(withdrawal.holds),
        "reason": withdrawal.reason,
        "payout_reference": withdrawal.payout_reference,
        "first_approved_by": withdrawal.first_approved_by,
    }


@dataclass(frozen=True, slots=True)
class Step:
    """One decision on a withdrawal: the ledger key's step name, where its money moves from
    and to, how the audit log names it, and the event it raises."""

    name: str
    source: AccountKind
    target: AccountKind
    action: AuditAction
    reached: WithdrawalState  # a withdrawal already there is a repeat of this step
    event: type[WithdrawalEvent]


PAID = Step(
    "paid",
    AccountKind.PAYOUT_CLEARING,
    AccountKind.DEPOSITS_CLEARING,
    AuditAction.WITHDRAWAL_PAID,
    WithdrawalState.PAID,
    WithdrawalPaid,
)
# Paid by a provider out of the money it holds for us (Crypto Pay's `transfer`): the money
# leaves through that provider's account, the one its deposits came in through.
PAID_AT_PROVIDER = Step(
    "paid",
    AccountKind.PAYOUT_CLEARING,
    AccountKind.CRYPTO_PAY_HELD,
    AuditAction.WITHDRAWAL_PAID,
    WithdrawalState.PAID,
    WithdrawalPaid,
)
FAILED = Step(
    "failed",
    AccountKind.PAYOUT_CLEARING,
    AccountKind.PLAYER_WALLET,
    AuditAction.WITHDRAWAL_FAILED,
    WithdrawalState.FAILED,
    WithdrawalFailed,
)
APPROVE = Step(
    "approve",
    AccountKind.WITHDRAWALS_PENDING,
    AccountKind.PAYOUT_CLEARING,
    AuditAction.WITHDRAWAL_APPROVED,
    WithdrawalState.APPROVED,
    WithdrawalApproved,
)
REJECT = Step(
    "reject",
    AccountKind.WITHDRAWALS_PENDING,
    AccountKind.PLAYER_WALLET,
    AuditAction.WITHDRAWAL_REJECTED,
    WithdrawalState.REJECTED,
    WithdrawalRejected,
)
CANCEL = Step(
    "cancel",
    AccountKind.WITHDRAWALS_PENDING,
    AccountKind.PLAYER_WALLET,
    AuditAction.WITHDRAWAL_CANCELLED,
    WithdrawalState.CANCELLED,
    WithdrawalCancelled,
)


class Steps(LedgerUseCase):
    """What every step shares: moving the withdrawal's money and recording who did it."""

    async def _account(self, uow: UnitOfWork, kind: AccountKind, withdrawal: Withdrawal) -> int:
        if kind is AccountKind.PLAYER_WALLET:
            wallet = await uow.accounts.wallet(withdrawal.player_id, withdrawal.amount.currency)
            if wallet is None:
                raise InsufficientFunds(
                    f"player {withdrawal.player_id} has no "
                    f"{withdrawal.amount.currency.code} wallet to withdraw from"
                )
            return wallet.id
        return await self._house.account_for(
            uow.accounts, kind, withdrawal.amount.currency, withdrawal.player_id
        )

    async def _move(
        self,
        uow: UnitOfWork,
        withdrawal: Withdrawal,
        step: str,
        source: AccountKind,
        target: AccountKind,
        transaction_id: uuid.UUID,
        now: datetime,
    ) -> None:
        posted = await uow.ledger.post(
            withdrawal_step(
                withdrawal,
                step,
                transaction_id,
                await self._account(uow, source, withdrawal),
                await self._account(uow, target, withdrawal),
                at=now,
            )
        )
        uow.raise_events(*transactions_posted(posted))

    async def _audit(
        self,
        uow: UnitOfWork,
        action: AuditAction,
        actor: Actor,
        withdrawal: Withdrawal,
        before: Withdrawal | None,
        now: datetime,
    ) -> None:
        await uow.audit.record(
            AuditEntry(
                action,
                now,
                actor.label,
                f"player:{withdrawal.player_id}",
                actor.source,
                before=None if before is None else {"state": before.state.value},
                after=facts(withdrawal),
            )
        )

    async def _record(
        self,
        uow: UnitOfWork,
        before: Withdrawal,
        after: Withdrawal,
        step: Step,
        actor: Actor,
        transaction_id: uuid.UUID,
        now: datetime,
    ) -> None:
        """Move the money for `step`, save the new state and audit it; the caller commits."""
        await self._move(uow, before, step.name, step.source, step.target, transaction_id, now)
        await uow.withdrawals.save(after, before.state)
        uow.raise_events(step.event(after))
        await self._audit(uow, step.action, actor, after, before, now)

    async def _decide(
        self,
        withdrawal_id: uuid.UUID,
        step: Step,
        actor: Actor,
        transition: Callable[[Withdrawal, datetime, uuid.UUID], Withdrawal],
        repeat: Callable[[Withdrawal], None] | None = None,
        *,
        operation: Operation | None = None,
        guard: Guard | None = None,
    ) -> Withdrawal:
        """One staff decision in one unit of work: lock the withdrawal, answer a repeat (one
        already in the state `step` reaches) with it as it is, or make the transition (the
        domain refuses an illegal one), run `guard`, check that the player's standing allows
        `operation` (None: nothing to check) and record it."""
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is step.reached:
                if repeat is not None:
                    repeat(current)
                return current
            now, transaction_id = self._clock.now(), self._ids.new_id()
            after = transition(current, now, transaction_id)
            if guard is not None:
                await guard(uow, current, now)
            if operation is not None:
                await require_standing(uow, current.player_id, operation, now)
            await self._record(uow, current, after, step, actor, transaction_id, now)
            await uow.commit()
        return after

    async def _mark_paid(
        self,
        withdrawal_id: uuid.UUID,
        reference: str,
        actor: Actor,
        *,
        operation: Operation | None = Operation.PAY_OUT,
        guard: Guard | None = None,
        step: Step = PAID,
    ) -> Withdrawal:
        reference = validate_payout_reference(reference)

        def same_reference(paid: Withdrawal) -> None:
            if paid.payout_reference != reference:
                raise IdempotencyConflict(
                    f"withdrawal {withdrawal_id} was already paid with reference "
                    f"{paid.payout_reference!r}"
                )

        return await self._decide(
            withdrawal_id,
            step,
            actor,
            lambda w, now, tx: w.mark_paid(actor.label, now, reference, tx),
            same_reference,
            operation=operation,
            guard=guard,
        )

    async def _mark_failed(
        self, withdrawal_id: uuid.UUID, reason: str, actor: Actor, *, guard: Guard | None = None
    ) -> Withdrawal:
        reason = validate_reason(reason)
        return await self._decide(
            withdrawal_id,
            FAILED,
            actor,
            lambda w, now, tx: w.mark_failed(actor.label, now, reason, tx),
            guard=guard,
        )
