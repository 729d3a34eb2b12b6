"""Withdrawals: a player's request to take money out, the staff decision, and the payout.

A withdrawal moves through one state machine:

    requested ──approve──▶ approved ──paid──▶ paid
        │  │                   │
        │  └──reject──▶ rejected  └──failed──▶ failed
        └──cancel──▶ cancelled (by the player, while nobody has approved it)

The request takes the money out of the wallet at once (into withdrawals pending), so it cannot
be bet or withdrawn again while it waits. Approval moves it on to payout clearing and hands it
to the payout gateway; a rejection, the player's cancel or a failed payout gives it back to the
wallet. Every other
move is an `IllegalWithdrawalTransition` naming where it was and where it was asked to go.

A withdrawal above its currency's second-approval threshold needs two finance users: the
first approval is recorded on the request (`first_approved_by`; it stays requested and nothing
moves), and a different finance user's approval completes it. An approved withdrawal a payout
run is sending carries the "sending" mark (`payout_sending_until`), which staff cannot mark
failed past (docs/payments-crypto.md).

Around it, each in a module of its own: the rules a request must meet and which approvals it
needs (`domain.withdrawal_policy`, refusing with this module's `WithdrawalRefused`); each
step's ledger posting (`domain.postings.withdrawal_step`, its keys in `domain.posting_keys`).
A blocked player's request waits for staff: approving or paying it is frozen by the block
(`application.withdrawals`)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from domain.errors import (
    DomainError,
    Forbidden,
    IdempotencyConflict,
    IllegalTransition,
    InvalidRequest,
)
from domain.money import Money
from domain.quoting import excerpt

MAX_DESTINATION_LENGTH: Final = 200
MAX_REASON_LENGTH: Final = 500
MAX_PAYOUT_REFERENCE_LENGTH: Final = 200
MAX_HOLD_LENGTH: Final = 200


class WithdrawalState(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"  # by the player, before any decision

    @property
    def final(self) -> bool:
        return not _NEXT[self]


_NEXT: Final[Mapping[WithdrawalState, frozenset[WithdrawalState]]] = {
    WithdrawalState.REQUESTED: frozenset(
        {WithdrawalState.APPROVED, WithdrawalState.REJECTED, WithdrawalState.CANCELLED}
    ),
    WithdrawalState.APPROVED: frozenset({WithdrawalState.PAID, WithdrawalState.FAILED}),
    WithdrawalState.REJECTED: frozenset(),
    WithdrawalState.PAID: frozenset(),
    WithdrawalState.FAILED: frozenset(),
    WithdrawalState.CANCELLED: frozenset(),
}


def can_move(source: WithdrawalState, target: WithdrawalState) -> bool:
    return target in _NEXT[source]


class IllegalWithdrawalTransition(IllegalTransition):
    """A withdrawal was asked to move where its state machine has no arrow."""

    def __init__(self, withdrawal_id: uuid.UUID, source: WithdrawalState, target: WithdrawalState):
        super().__init__(f"withdrawal {withdrawal_id} is {source}; it cannot become {target}")
        self.source = source
        self.target = target


class WithdrawalRefused(DomainError):
    """A withdrawal rule refuses a request. `rule` names it ("currency", "min_amount",
    "max_amount", "daily_limit", "kyc_required", "wagering_requirement"; and at approval,
    "risk_review" while the player has open risk flags); `limit` is the
    amount the rule allows and `remaining` what is left of it (None when it does not apply)."""

    code = "withdrawal_refused"

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        limit: Money | None = None,
        remaining: Money | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.limit = limit
        self.remaining = remaining


# -- validation of what a request and a decision carry ----------------------------------------


def _text(value: str, what: str, maximum: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise InvalidRequest(f"{what} is required")
    if len(value) > maximum:
        raise InvalidRequest(f"{what} is longer than {maximum} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidRequest(f"{what} may not contain control characters")
    return value


def validate_destination(destination: str) -> str:
    """Where the money goes: a wallet address, an account, as the player typed it."""
    return _text(destination, "a withdrawal destination", MAX_DESTINATION_LENGTH)


def validate_reason(reason: str) -> str:
    return _text(reason, "a reason", MAX_REASON_LENGTH)


def validate_payout_reference(reference: str) -> str:
    return _text(reference, "a payout reference", MAX_PAYOUT_REFERENCE_LENGTH)


def review_holds(holds: Iterable[str]) -> tuple[str, ...]:
    """The open risk holds a request waits on, each once and in a stable order."""
    return tuple(sorted({_text(hold, "a hold reason", MAX_HOLD_LENGTH) for hold in holds}))


# -- the withdrawal ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """One request and how far it got. `request_id` is the client's idempotency key, unique
    per player. Each step records when it happened, who took it (a staff label, or "system"
    for the payout gateway) and the ledger transaction that moved the money."""

    id: uuid.UUID
    player_id: int
    request_id: uuid.UUID
    amount: Money
    destination: str
    requested_at: datetime
    request_transaction_id: uuid.UUID
    state: WithdrawalState = WithdrawalState.REQUESTED
    holds: tuple[str, ...] = ()  # open risk holds when requested: review before approving
    decided_by: str | None = None
    approved_at: datetime | None = None
    rejected_at: datetime | None = None
    decision_transaction_id: uuid.UUID | None = None
    settled_by: str | None = None
    paid_at: datetime | None = None
    failed_at: datetime | None = None
    settlement_transaction_id: uuid.UUID | None = None
    reason: str | None = None  # why it was rejected or failed
    payout_reference: str | None = None  # the payout's id at the provider or bank
    # The first of two approvals, for a withdrawal above the second-approval threshold.
    first_approved_by: str | None = None
    first_approved_at: datetime | None = None
    cancelled_at: datetime | None = None  # the player took it back (`decided_by` names them)
    # What the payout gateway last said of an approved withdrawal it did not pay (not sent:
    # the provider refused, or holds too little; or its answer was lost), for staff.
    payout_note: str | None = None
    # The "sending" mark: a payout run is sending it to the provider until this time (its
    # lease), or, once past, sent it with an outcome not resolved yet. Staff cannot mark it
    # failed while it is set (docs/payments-crypto.md, "The sending mark").
    payout_sending_until: datetime | None = None
    # When the player was told that the provider could not pay it yet (once a withdrawal).
    payout_delayed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.amount.require_positive()
        validate_destination(self.destination)

    @property
    def held(self) -> bool:
        return bool(self.holds)

    def require_same_request(self, amount: Money, destination: str) -> None:
        """A repeat of this request under its request id; anything else is a conflict."""
        if amount != self.amount or destination != self.destination:
            raise IdempotencyConflict(
                f"request {self.request_id} was already used for a withdrawal of "
                f"{self.amount} to {excerpt(self.destination)}"
            )

    def _move(self, target: WithdrawalState) -> None:
        if not can_move(self.state, target):
            raise IllegalWithdrawalTransition(self.id, self.state, target)

    def approve_first(self, by: str, at: datetime) -> Withdrawal:
        """The first of two approvals: recorded, nothing moves, it stays requested until a
        different finance user `approve`s it."""
        if self.state is not WithdrawalState.REQUESTED:
            raise IllegalWithdrawalTransition(self.id, self.state, WithdrawalState.APPROVED)
        if self.first_approved_by is not None:
            raise IllegalTransition(
                f"withdrawal {self.id} has its first approval already ({self.first_approved_by})"
            )
        return replace(self, first_approved_by=by, first_approved_at=at)

    def approve(self, by: str, at: datetime, transaction_id: uuid.UUID) -> Withdrawal:
        self._move(WithdrawalState.APPROVED)
        if by == self.first_approved_by:
            raise Forbidden("the second approval must come from another finance user")
        return replace(
            self,
            state=WithdrawalState.APPROVED,
            decided_by=by,
            approved_at=at,
            decision_transaction_id=transaction_id,
        )

    def reject(self, by: str, at: datetime, reason: str, transaction_id: uuid.UUID) -> Withdrawal:
        self._move(WithdrawalState.REJECTED)
        return replace(
            self,
            state=WithdrawalState.REJECTED,
            decided_by=by,
            rejected_at=at,
            reason=validate_reason(reason),
            decision_transaction_id=transaction_id,
        )

    def cancel(self, at: datetime, transaction_id: uuid.UUID) -> Withdrawal:
        """The player takes back a request nobody has approved yet (a first of two approvals
        does not stop it: nothing has moved). The player is the one who decided."""
        self._move(WithdrawalState.CANCELLED)
        return replace(
            self,
            state=WithdrawalState.CANCELLED,
            decided_by=f"player:{self.player_id}",
            cancelled_at=at,
            decision_transaction_id=transaction_id,
        )

    def mark_paid(
        self, by: str, at: datetime, reference: str, transaction_id: uuid.UUID
    ) -> Withdrawal:
        self._move(WithdrawalState.PAID)
        return replace(
            self,
            state=WithdrawalState.PAID,
            settled_by=by,
            paid_at=at,
            payout_reference=validate_payout_reference(reference),
            settlement_transaction_id=transaction_id,
            payout_sending_until=None,
        )

    def mark_failed(
        self, by: str, at: datetime, reason: str, transaction_id: uuid.UUID
    ) -> Withdrawal:
        self._move(WithdrawalState.FAILED)
        return replace(
            self,
            state=WithdrawalState.FAILED,
            settled_by=by,
            failed_at=at,
            reason=validate_reason(reason),
            settlement_transaction_id=transaction_id,
            payout_sending_until=None,
        )

    def with_payout_note(self, note: str) -> Withdrawal:
        """Why the gateway has not paid this approved withdrawal (yet): for staff to read."""
        if self.state is not WithdrawalState.APPROVED:
            raise IllegalWithdrawalTransition(self.id, self.state, WithdrawalState.APPROVED)
        return replace(self, payout_note=validate_reason(note[:MAX_REASON_LENGTH]))

    def payout_delayed(self, note: str, at: datetime) -> tuple[Withdrawal, bool]:
        """The provider could not pay it (certainly nothing sent): noted for staff, and True
        the first time, when the player is to be told it is delayed (once a withdrawal)."""
        noted = self.with_payout_note(note)
        if self.payout_delayed_at is not None:
            return noted, False
        return replace(noted, payout_delayed_at=at), True

    def sending(self, until: datetime) -> Withdrawal:
        """Marked as being sent to the provider by a payout run until `until` (its lease)."""
        if self.state is not WithdrawalState.APPROVED:
            raise IllegalWithdrawalTransition(self.id, self.state, WithdrawalState.APPROVED)
        return replace(self, payout_sending_until=until)

    def sending_unresolved(self) -> Withdrawal:
        """The send's outcome is unknown (the answer was lost, or the send outlived its
        deadline): the mark stays as it is, its lease running to its end, so that no other
        run takes over and nobody settles it by hand before a request this run sent has
        reached the provider; the first payout run after the lease resolves it."""
        return self

    def sending_resolved(self) -> Withdrawal:
        """The provider certainly made no transfer this time: the mark is cleared."""
        return replace(self, payout_sending_until=None)

    def being_sent(self, now: datetime) -> bool:
        """A payout run holds the mark now (its lease has not ended)."""
        return self.payout_sending_until is not None and self.payout_sending_until > now

    def with_payout_reference(self, reference: str) -> Withdrawal:
        """The gateway's reference for a payout it accepted and has not finished yet."""
        if self.state is not WithdrawalState.APPROVED:
            raise IllegalWithdrawalTransition(self.id, self.state, WithdrawalState.APPROVED)
        return replace(self, payout_reference=validate_payout_reference(reference))


@dataclass(frozen=True, slots=True)
class PayoutSent:
    """The gateway took the payout. `completed` when the money has certainly arrived (the
    withdrawal is then paid at once); otherwise it stays approved until marked paid or
    failed. `reference` is the provider's id for it, if it gave one."""

    reference: str | None = None
    completed: bool = False
    # Paid out of money held at a payment provider (Crypto Pay): the paid step moves the
    # money out of that provider's account (`crypto_pay_held`), not deposits clearing.
    from_provider_account: bool = False

    def __post_init__(self) -> None:
        if self.reference is not None:
            validate_payout_reference(self.reference)
        if self.completed and self.reference is None:
            raise InvalidRequest("a completed payout carries the provider's reference")


@dataclass(frozen=True, slots=True)
class PayoutDeclined:
    """The gateway definitely did not and will not pay: the withdrawal fails and the money
    goes back to the wallet."""

    reason: str

    def __post_init__(self) -> None:
        validate_reason(self.reason)


@dataclass(frozen=True, slots=True)
class PayoutNotSent:
    """The gateway certainly sent nothing this time (the provider refused the transfer, holds
    too little, or did not answer before anything was sent): the withdrawal stays approved,
    its money in payout clearing, with `note` for staff, who mark it failed (the money goes
    back to the wallet) or leave it for the next payout run."""

    note: str

    def __post_init__(self) -> None:
        validate_reason(self.note)


PayoutResult = PayoutSent | PayoutDeclined | PayoutNotSent
