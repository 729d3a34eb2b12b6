"""Finance: the withdrawal queue and its decisions; a player's KYC status.

Players ask for withdrawals in the bot; staff work the queue here. Every decision is
idempotent by the withdrawal's state: repeating it returns the withdrawal as it is, so no
Idempotency-Key header is needed (a step's ledger transaction is keyed by the withdrawal's id
and the step, and can move money once)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.kyc import KycChange, SetKycStatus
from application.ledger_queries import DEFAULT_PAGE_SIZE
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    RejectWithdrawal,
)
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals
from domain.players import KycStatus
from domain.staff import Role
from domain.withdrawals import Withdrawal, WithdrawalState
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.http.decisions import Decision

FINANCE = requires(Role.FINANCE)


# -- wire types ------------------------------------------------------------------------------


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class PaidBody(msgspec.Struct, forbid_unknown_fields=True):
    reference: str  # the payout's id at the provider or bank


class KycBody(msgspec.Struct, forbid_unknown_fields=True):
    status: KycStatus


class WithdrawalView(msgspec.Struct):
    id: uuid.UUID
    player_id: int
    request_id: uuid.UUID
    amount: int  # minor units
    currency: str
    destination: str
    state: str
    holds: list[str]  # open risk holds when requested: review before approving
    requested_at: datetime
    request_transaction_id: uuid.UUID
    decided_by: str | None
    approved_at: datetime | None
    rejected_at: datetime | None
    decision_transaction_id: uuid.UUID | None
    settled_by: str | None
    paid_at: datetime | None
    failed_at: datetime | None
    settlement_transaction_id: uuid.UUID | None
    reason: str | None
    payout_reference: str | None
    # Above the second-approval threshold: who gave the first of two approvals (it stays
    # `requested` until a different finance user approves).
    first_approved_by: str | None
    first_approved_at: datetime | None
    # The player took it back before any approval (`decided_by` is `player:<id>`).
    cancelled_at: datetime | None
    # Approved but not paid by its gateway: why (Crypto Pay refused, holds too little, or
    # its answer was lost). Staff mark it failed to give the money back, or wait for the
    # next payout run (docs/payments-crypto.md, "Payouts").
    payout_note: str | None = None
    # A payout run's "sending" mark: sending now until this time, or (past) sent with an
    # outcome not resolved yet; `…/failed` is refused while it is set
    # (docs/payments-crypto.md, "The sending mark").
    payout_sending_until: datetime | None = None
    # When its gateway first could not pay it (nothing sent), and the player was told the
    # payout is delayed (once; docs/payments-crypto.md, "What the player is told").
    payout_delayed_at: datetime | None = None


class WithdrawalPageView(msgspec.Struct):
    withdrawals: list[WithdrawalView]
    next_cursor: str | None


class KycView(msgspec.Struct):
    player_id: int
    kyc_status: str
    previous: str


def view(withdrawal: Withdrawal) -> WithdrawalView:
    return WithdrawalView(
        id=withdrawal.id,
        player_id=withdrawal.player_id,
        request_id=withdrawal.request_id,
        amount=withdrawal.amount.amount,
        currency=withdrawal.amount.currency.code,
        destination=withdrawal.destination,
        state=withdrawal.state.value,
        holds=list(withdrawal.holds),
        requested_at=withdrawal.requested_at,
        request_transaction_id=withdrawal.request_transaction_id,
        decided_by=withdrawal.decided_by,
        approved_at=withdrawal.approved_at,
        rejected_at=withdrawal.rejected_at,
        decision_transaction_id=withdrawal.decision_transaction_id,
        settled_by=withdrawal.settled_by,
        paid_at=withdrawal.paid_at,
        failed_at=withdrawal.failed_at,
        settlement_transaction_id=withdrawal.settlement_transaction_id,
        reason=withdrawal.reason,
        payout_reference=withdrawal.payout_reference,
        first_approved_by=withdrawal.first_approved_by,
        first_approved_at=withdrawal.first_approved_at,
        cancelled_at=withdrawal.cancelled_at,
        payout_note=withdrawal.payout_note,
        payout_sending_until=withdrawal.payout_sending_until,
        payout_delayed_at=withdrawal.payout_delayed_at,
    )


def kyc_view(change: KycChange) -> KycView:
    return KycView(change.player_id, change.status.value, change.previous.value)


class WithdrawalsController(Controller):
    path = "/api/v1/withdrawals"
    tags = ["withdrawals"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get("/", guards=[ANY_STAFF], summary="The withdrawal queue, oldest first")
    @inject
    async def queue(
        self,
        listing: FromDishka[ListWithdrawals],
        # `state` is a reserved name in Litestar handlers, so the argument is renamed.
        wanted: Annotated[WithdrawalState | None, QueryParameter(name="state")] = None,
        cursor: Annotated[str | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = DEFAULT_PAGE_SIZE,
    ) -> WithdrawalPageView:
        page = await listing(wanted, cursor, limit)
        return WithdrawalPageView([view(w) for w in page.withdrawals], page.next_cursor)

    @get("/{withdrawal_id:uuid}", guards=[ANY_STAFF], summary="One withdrawal")
    @inject
    async def one(
        self, withdrawal_id: FromPath[uuid.UUID], get_one: FromDishka[GetWithdrawal]
    ) -> WithdrawalView:
        return view(await get_one(withdrawal_id))

    approve = Decision(
        "/{withdrawal_id:uuid}/approve",
        FINANCE,
        "Approve a requested withdrawal and hand it to the payout gateway (above the "
        "second-approval threshold, the first approval is recorded and a different finance "
        "user's completes it)",
        ApproveWithdrawal,
        lambda approve, withdrawal_id, _, actor: approve(withdrawal_id, actor),
        view,
    ).handler()
    reject = Decision(
        "/{withdrawal_id:uuid}/reject",
        FINANCE,
        "Reject a requested withdrawal (a reason is required); the money returns",
        RejectWithdrawal,
        lambda reject, withdrawal_id, body, actor: reject(withdrawal_id, body.reason, actor),
        view,
        ReasonBody,
    ).handler()
    paid = Decision(
        "/{withdrawal_id:uuid}/paid",
        FINANCE,
        "Confirm an approved withdrawal was paid out, with the payout's reference",
        MarkWithdrawalPaid,
        lambda paid, withdrawal_id, body, actor: paid(withdrawal_id, body.reference, actor),
        view,
        PaidBody,
    ).handler()
    failed = Decision(
        "/{withdrawal_id:uuid}/failed",
        FINANCE,
        "Record that an approved withdrawal's payout failed; the money returns",
        MarkWithdrawalFailed,
        lambda failed, withdrawal_id, body, actor: failed(withdrawal_id, body.reason, actor),
        view,
        ReasonBody,
    ).handler()


class KycController(Controller):
    path = "/api/v1/players"
    tags = ["players"]  # noqa: RUF012
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @put(
        "/{player_id:int}/kyc",
        guards=[requires(Role.SUPPORT, Role.FINANCE)],
        summary="Set a player's KYC status: unverified, pending or verified",
    )
    @inject
    async def set_kyc(
        self,
        player_id: FromPath[int],
        data: JSONBody[KycBody],
        actor: NamedDependency[Actor],
        set_status: FromDishka[SetKycStatus],
    ) -> KycView:
        return kyc_view(await set_status(player_id, data.status, actor))
