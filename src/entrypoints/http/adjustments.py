"""Finance: adjust a player's balance; large adjustments wait for a second finance user."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from application.adjustments import (
    AdjustmentOutcome,
    DecideAdjustment,
    ListAdjustments,
    RequestAdjustment,
)
from application.staff import Actor
from domain.adjustments import AdjustmentRequest, AdjustmentState
from domain.errors import InvalidField
from domain.money import CurrencyRegistry, Money
from domain.quoting import excerpt
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.http.decisions import Decision

FINANCE = requires(Role.FINANCE)


class AdjustmentBody(msgspec.Struct, forbid_unknown_fields=True):
    # Each field says what it is in the OpenAPI document (issue 20: player_id said nothing).
    player_id: Annotated[
        int,
        msgspec.Meta(
            description="The player whose wallet is adjusted (their id, not the Telegram id)"
        ),
    ]
    amount: Annotated[
        int,
        msgspec.Meta(
            description="Minor units, signed: positive credits the player, negative debits them"
        ),
    ]
    currency: Annotated[str, msgspec.Meta(description="A currency code, e.g. XTR")]
    reason: Annotated[str, msgspec.Meta(description="Why, for the audit log and the ledger")]
    request_id: Annotated[
        uuid.UUID | None,
        msgspec.Meta(
            description="Optional idempotency key: a retried request with the same id posts "
            "nothing new"
        ),
    ] = None


class AdjustmentView(msgspec.Struct):
    id: uuid.UUID
    player_id: int
    amount: int
    currency: str
    reason: str
    state: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    transaction_id: uuid.UUID | None
    balance: int | None = None  # the wallet after posting, when it posted


class AdjustmentList(msgspec.Struct):
    adjustments: list[AdjustmentView]


def view(request: AdjustmentRequest, balance: int | None = None) -> AdjustmentView:
    return AdjustmentView(
        id=request.id,
        player_id=request.player_id,
        amount=request.amount.amount,
        currency=request.amount.currency.code,
        reason=request.reason,
        state=request.state.value,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        transaction_id=request.transaction_id,
        balance=balance,
    )


def _outcome(outcome: AdjustmentOutcome) -> AdjustmentView:
    balance = outcome.posting.balance.amount if outcome.posting else None
    return view(outcome.request, balance)


class AdjustmentsController(Controller):
    path = "/api/v1/adjustments"
    tags = ["adjustments"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @post(
        "/",
        guards=[FINANCE],
        status_code=201,
        summary="Credit or debit a player; above the four-eyes limit it waits for approval",
    )
    @inject
    async def create(
        self,
        data: JSONBody[AdjustmentBody],
        actor: NamedDependency[Actor],
        adjust: FromDishka[RequestAdjustment],
        currencies: FromDishka[CurrencyRegistry],
    ) -> AdjustmentView:
        try:
            currency = currencies.get(data.currency.upper())
        except Exception as error:
            raise InvalidField("currency", f"unknown currency {excerpt(data.currency)}") from error
        try:
            amount = Money(data.amount, currency)
        except Exception as error:
            raise InvalidField("amount", str(error)) from error
        outcome = await adjust(
            data.player_id, amount, data.reason, actor, data.request_id or uuid.uuid4()
        )
        return _outcome(outcome)

    @get("/", guards=[ANY_STAFF], summary="Adjustment requests, newest first")
    @inject
    async def list_requests(
        self,
        listing: FromDishka[ListAdjustments],
        # `state` is a reserved name in Litestar handlers, so the argument is renamed.
        wanted: Annotated[AdjustmentState | None, QueryParameter(name="state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> AdjustmentList:
        return AdjustmentList([view(r) for r in await listing(wanted, limit)])

    approve = Decision(
        "/{request_id:uuid}/approve",
        FINANCE,
        "Approve and post a pending adjustment (not your own)",
        DecideAdjustment,
        lambda decide, request_id, _, actor: decide(request_id, True, actor),
        _outcome,
    ).handler()
    reject = Decision(
        "/{request_id:uuid}/reject",
        FINANCE,
        "Reject a pending adjustment (not your own)",
        DecideAdjustment,
        lambda decide, request_id, _, actor: decide(request_id, False, actor),
        _outcome,
    ).handler()
