"""Withdrawals: a player asks, staff approve or reject, the payout gateway pays (or fails).

Every step is one unit of work: the withdrawal's new state, the ledger transaction that moves
its money and the audit entry commit together, with the withdrawal's row locked so that
concurrent clicks decide it once. The money moves

- on request: wallet → withdrawals pending (so it cannot be bet or withdrawn twice),
- on approval: withdrawals pending → payout clearing, then the gateway is called,
- on rejection: withdrawals pending → wallet,
- when paid: payout clearing → deposits clearing, the house's account for money crossing the
  boundary of the system in either direction (a deposit arrives through it, a payout leaves
  through it, as a Stars refund does), so its balance stays the net owed to or by the outside,
- when the payout failed: payout clearing → wallet.

The player's standing (`domain.standing`) is read in the unit of work of each step that
would move money towards the player's destination: a blocked player, or one who never
accepted the terms, cannot request (`PlayerBlocked`, `TermsNotAccepted`), and a blocked
player's withdrawals are frozen (`WithdrawalFrozen`, 409): staff cannot approve them, mark
them paid or have the gateway pay them until the block is lifted. Rejecting one (the money
returns to the wallet) and recording a failed payout stay possible, as does every repeat of a
step already taken.

All of them are `withdrawal` transactions, the returns too: a returned withdrawal is a
withdrawal undone, and the cash-flow report's net withdrawals stay right. Each transaction's
idempotency key is the withdrawal's id and the step, so a step can move money only once.

The gateway is called after the approval commits, never inside a database transaction.

Longer than most modules: one state machine's steps (request, approve and pay out, reject,
mark paid or failed) share its locking, posting and audit (`_Steps`); the reads and KYC are
in `withdrawal_queries` and `kyc`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from application.house import HouseBook
from application.ports import (
    Clock,
    IdGenerator,
    PayoutGateway,
    UnitOfWork,
    UnitOfWorkFactory,
    WithdrawalHolds,
)
from application.staff import Actor
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, IllegalTransition, InsufficientFunds
from domain.events import (
    WithdrawalApproved,
    WithdrawalEvent,
    WithdrawalFailed,
    WithdrawalPaid,
    WithdrawalRejected,
    WithdrawalRequested,
    transactions_posted,
)
from domain.money import Money
from domain.postings import withdrawal_step
from domain.responsible import LimitKind
from domain.staff import AuditAction, AuditEntry
from domain.standing import Operation
from domain.withdrawals import (
    DAILY_WINDOW,
    MAX_REASON_LENGTH,
    PayoutDeclined,
    Withdrawal,
    WithdrawalPolicy,
    WithdrawalRefused,
    WithdrawalState,
    review_holds,
    validate_destination,
    validate_payout_reference,
    validate_reason,
)

log = logging.getLogger(__name__)

# The wagering requirement weighs everything ever deposited against everything ever staked.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_WAGERING_KINDS = frozenset({LimitKind.DEPOSIT, LimitKind.WAGER})
SYSTEM = Actor("system")


class NoWithdrawalHolds:
    """Nothing holds withdrawals: the wiring until risk flags provide the holds."""

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        return ()


async def _require_standing(
    uow: UnitOfWork, player_id: int, operation: Operation, now: datetime
) -> None:
    (await uow.players.standing(player_id)).require(operation, now)


def _facts(withdrawal: Withdrawal) -> dict[str, object]:
    return {
        "withdrawal_id": str(withdrawal.id),
        "amount": withdrawal.amount.amount,
        "currency": withdrawal.amount.currency.code,
        "destination": withdrawal.destination,
        "state": withdrawal.state.value,
        "holds": list(withdrawal.holds),
        "reason": withdrawal.reason,
        "payout_reference": withdrawal.payout_reference,
    }


@dataclass(frozen=True, slots=True)
class _Step:
    """One decision on a withdrawal: the ledger key's step name, where its money moves from
    and to, how the audit log names it, and the event it raises."""

    name: str
    source: AccountKind
    target: AccountKind
    action: AuditAction
    reached: WithdrawalState  # a withdrawal already there is a repeat of this step
    event: type[WithdrawalEvent]


_PAID = _Step(
    "paid",
    AccountKind.PAYOUT_CLEARING,
    AccountKind.DEPOSITS_CLEARING,
    AuditAction.WITHDRAWAL_PAID,
    WithdrawalState.PAID,
    WithdrawalPaid,
)
_FAILED = _Step(
    "failed",
    AccountKind.PAYOUT_CLEARING,
    AccountKind.PLAYER_WALLET,
    AuditAction.WITHDRAWAL_FAILED,
    WithdrawalState.FAILED,
    WithdrawalFailed,
)
_APPROVE = _Step(
    "approve",
    AccountKind.WITHDRAWALS_PENDING,
    AccountKind.PAYOUT_CLEARING,
    AuditAction.WITHDRAWAL_APPROVED,
    WithdrawalState.APPROVED,
    WithdrawalApproved,
)
_REJECT = _Step(
    "reject",
    AccountKind.WITHDRAWALS_PENDING,
    AccountKind.PLAYER_WALLET,
    AuditAction.WITHDRAWAL_REJECTED,
    WithdrawalState.REJECTED,
    WithdrawalRejected,
)


class _Steps:
    """What every step shares: moving the withdrawal's money and recording who did it."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, house: HouseBook
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house

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
                after=_facts(withdrawal),
            )
        )

    async def _record(
        self,
        uow: UnitOfWork,
        before: Withdrawal,
        after: Withdrawal,
        step: _Step,
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
        step: _Step,
        actor: Actor,
        transition: Callable[[Withdrawal, datetime, uuid.UUID], Withdrawal],
        repeat: Callable[[Withdrawal], None] | None = None,
        *,
        operation: Operation | None = None,
    ) -> Withdrawal:
        """One staff decision in one unit of work: lock the withdrawal, answer a repeat (one
        already in the state `step` reaches) with it as it is, or make the transition (the
        domain refuses an illegal one), check that the player's standing allows `operation`
        (None: nothing to check) and record it."""
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is step.reached:
                if repeat is not None:
                    repeat(current)
                return current
            now, transaction_id = self._clock.now(), self._ids.new_id()
            after = transition(current, now, transaction_id)
            if operation is not None:
                await _require_standing(uow, current.player_id, operation, now)
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
            _PAID,
            actor,
            lambda w, now, tx: w.mark_paid(actor.label, now, reference, tx),
            same_reference,
            operation=operation,
        )

    async def _mark_failed(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        reason = validate_reason(reason)
        return await self._decide(
            withdrawal_id,
            _FAILED,
            actor,
            lambda w, now, tx: w.mark_failed(actor.label, now, reason, tx),
        )


class RequestWithdrawal(_Steps):
    """A player asks to withdraw `amount` to `destination`. Checked against the policy, it
    takes the money out of the wallet at once and waits for staff. `request_id` is the
    client's idempotency key: a repeat returns the first withdrawal, the same id with another
    amount or destination is an `IdempotencyConflict`. A refusal (`WithdrawalRefused`, naming
    the rule) writes nothing. Self-exclusion does not stop a withdrawal: it is the player's
    money, and taking it out is what an excluded player should be able to do. A blocked
    player, or one who has not accepted the terms, is refused (`PlayerBlocked`,
    `TermsNotAccepted`); a repeat of a request made before the block still answers with it."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        policy: WithdrawalPolicy,
        holds: WithdrawalHolds,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._policy = policy
        self._holds = holds

    async def __call__(
        self, player_id: int, amount: Money, destination: str, request_id: uuid.UUID
    ) -> Withdrawal:
        amount.require_positive()
        destination = validate_destination(destination)
        async with self._uow() as uow:
            # Locked first, so a repeat of this request, and any other request of the player,
            # waits for this one and then sees it (in the lookup and in the daily total).
            await uow.withdrawals.lock_player(player_id)
            existing = await uow.withdrawals.find_by_request(player_id, request_id)
            if existing is not None:
                existing.require_same_request(amount, destination)
                return existing
            now = self._clock.now()
            standing = await uow.players.standing(player_id)
            standing.require(Operation.WITHDRAW, now)
            assert standing.kyc is not None  # read by `standing`
            usage = await uow.responsible.usage(
                player_id, amount.currency, _BEGINNING, _WAGERING_KINDS
            )
            self._policy.check(
                amount,
                requested_today=await uow.withdrawals.requested_since(
                    player_id, amount.currency, now - DAILY_WINDOW
                ),
                kyc=standing.kyc,
                deposited=usage.deposited,
                wagered=usage.wagered,
            )
            withdrawal = Withdrawal(
                id=self._ids.new_id(),
                player_id=player_id,
                request_id=request_id,
                amount=amount,
                destination=destination,
                requested_at=now,
                request_transaction_id=self._ids.new_id(),
                holds=review_holds(
                    await self._holds.open_holds(uow, player_id, amount, destination, now)
                ),
            )
            try:
                await self._move(
                    uow,
                    withdrawal,
                    "request",
                    AccountKind.PLAYER_WALLET,
                    AccountKind.WITHDRAWALS_PENDING,
                    withdrawal.request_transaction_id,
                    now,
                )
            except InsufficientFunds as error:
                raise InsufficientFunds(
                    f"the wallet holds less than the {amount} to withdraw"
                ) from error
            await uow.withdrawals.add(withdrawal)
            uow.raise_events(WithdrawalRequested(withdrawal))
            await self._audit(
                uow,
                AuditAction.WITHDRAWAL_REQUESTED,
                Actor(f"player:{player_id}"),
                withdrawal,
                None,
                now,
            )
            await uow.commit()
        return withdrawal


class ApproveWithdrawal(_Steps):
    """Approve a requested withdrawal: its money moves on to payout clearing, and once that
    has committed the payout gateway is asked to pay. A declined payout fails the withdrawal
    (the money returns to the wallet); a payout the gateway completes marks it paid; an
    unknown outcome (the gateway raised) leaves it approved for staff to settle. Approving an
    approved withdrawal returns it unchanged (and calls nothing); one already decided
    otherwise is an `IllegalTransition`. A blocked player's withdrawal is frozen
    (`WithdrawalFrozen`): it waits for the block to be lifted, or to be rejected; a block that
    lands between the approval and the gateway's call stops the call, and the withdrawal
    waits, approved, for staff."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        payouts: PayoutGateway,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._payouts = payouts

    async def __call__(self, withdrawal_id: uuid.UUID, actor: Actor) -> Withdrawal:
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            if current.state is _APPROVE.reached:
                return current
            now, transaction_id = self._clock.now(), self._ids.new_id()
            if current.state is WithdrawalState.REQUESTED:
                await _require_standing(uow, current.player_id, Operation.PAY_OUT, now)
                if await uow.risk.has_open(current.player_id):
                    # A flagged player's money waits until someone has looked at the flags.
                    raise WithdrawalRefused(
                        "risk_review",
                        "the player has risk flags waiting for review; resolve or dismiss "
                        "them before approving (rejecting is always possible)",
                    )
            approved = current.approve(actor.label, now, transaction_id)
            await self._record(uow, current, approved, _APPROVE, actor, transaction_id, now)
            await uow.commit()
        return await self._pay_out(approved)

    async def _pay_out(self, approved: Withdrawal) -> Withdrawal:
        async with self._uow() as uow:
            refusal = (await uow.players.standing(approved.player_id)).refusal(
                Operation.PAY_OUT, self._clock.now()
            )
        if refusal is not None:
            # Blocked since the approval committed: nothing is sent. The withdrawal waits,
            # approved, for staff (paid once the block is lifted, or failed to return it).
            log.warning("payout of withdrawal %s not sent: %s", approved.id, refusal.message)
            return approved
        try:
            result = await self._payouts.send(approved)
        except Exception:
            log.warning("payout of withdrawal %s: outcome unknown", approved.id, exc_info=True)
            return approved
        try:
            if isinstance(result, PayoutDeclined):
                why = f"payout declined: {result.reason}"[:MAX_REASON_LENGTH]
                return await self._mark_failed(approved.id, why, SYSTEM)
            if result.completed and result.reference is not None:
                # The gateway has paid: the money has left, whatever happened since, and the
                # books must say so. Not a decision to pay, so the standing is not asked.
                return await self._mark_paid(approved.id, result.reference, SYSTEM, operation=None)
            if result.reference is not None:
                return await self._note_reference(approved.id, result.reference)
        except IllegalTransition:
            # Staff settled it between the approval and the gateway's answer; theirs stands.
            log.warning("payout of withdrawal %s: settled meanwhile", approved.id)
            async with self._uow() as uow:
                return await uow.withdrawals.get(approved.id)
        return approved

    async def _note_reference(self, withdrawal_id: uuid.UUID, reference: str) -> Withdrawal:
        async with self._uow() as uow:
            current = await uow.withdrawals.get(withdrawal_id, for_update=True)
            noted = current.with_payout_reference(reference)
            await uow.withdrawals.save(noted, current.state)
            await uow.commit()
        return noted


class RejectWithdrawal(_Steps):
    """Reject a requested withdrawal with a reason; its money returns to the wallet. Rejecting
    a rejected one returns it unchanged; one already approved is an `IllegalTransition`."""

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        reason = validate_reason(reason)
        return await self._decide(
            withdrawal_id,
            _REJECT,
            actor,
            lambda w, now, tx: w.reject(actor.label, now, reason, tx),
        )


class MarkWithdrawalPaid(_Steps):
    """Confirm that an approved withdrawal's payout arrived, with the provider's or bank's
    reference; its money leaves the books. A repeat with the same reference returns it
    unchanged, another reference is an `IdempotencyConflict`. With manual payouts, marking
    paid is how staff pay, so a blocked player's withdrawal is frozen here too
    (`WithdrawalFrozen`) until the block is lifted."""

    async def __call__(self, withdrawal_id: uuid.UUID, reference: str, actor: Actor) -> Withdrawal:
        return await self._mark_paid(withdrawal_id, reference, actor)


class MarkWithdrawalFailed(_Steps):
    """Record that an approved withdrawal's payout failed; its money returns to the wallet.
    A repeat returns it unchanged."""

    async def __call__(self, withdrawal_id: uuid.UUID, reason: str, actor: Actor) -> Withdrawal:
        return await self._mark_failed(withdrawal_id, reason, actor)
