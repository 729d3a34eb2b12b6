"""Finance: Telegram Stars payments and their refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter

from application.payments import (
    GetStarsPayment,
    ListStarsPayments,
    RefundStarsPayment,
)
from domain.payments import StarsPayment
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.http.decisions import Decision


class RefundBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class StarsPaymentView(msgspec.Struct):
    charge_id: str
    player_id: int
    telegram_user_id: int
    amount: int
    currency: str
    payload: str
    paid_at: datetime
    deposit_transaction_id: uuid.UUID
    status: str
    refund_attempts: int
    refund_transaction_id: uuid.UUID | None
    refund_requested_by: str | None
    refund_reason: str | None
    refunded_at: datetime | None


class StarsPaymentList(msgspec.Struct):
    payments: list[StarsPaymentView]


def view(payment: StarsPayment) -> StarsPaymentView:
    return StarsPaymentView(
        charge_id=payment.charge_id,
        player_id=payment.player_id,
        telegram_user_id=payment.telegram_user_id,
        amount=payment.amount.amount,
        currency=payment.amount.currency.code,
        payload=payment.payload,
        paid_at=payment.paid_at,
        deposit_transaction_id=payment.deposit_transaction_id,
        status=payment.status.value,
        refund_attempts=payment.refund_attempts,
        refund_transaction_id=payment.refund_transaction_id,
        refund_requested_by=payment.refund_requested_by,
        refund_reason=payment.refund_reason,
        refunded_at=payment.refunded_at,
    )


class StarsPaymentsController(Controller):
    path = "/api/v1/payments/stars"
    tags = ["payments"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get("/", guards=[ANY_STAFF], summary="Stars payments, newest first")
    @inject
    async def list_payments(
        self,
        listing: FromDishka[ListStarsPayments],
        player_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> StarsPaymentList:
        return StarsPaymentList([view(p) for p in await listing(player_id, limit)])

    @get("/{charge_id:str}", guards=[ANY_STAFF], summary="One Stars payment by charge id")
    @inject
    async def get_payment(
        self, charge_id: FromPath[str], get_one: FromDishka[GetStarsPayment]
    ) -> StarsPaymentView:
        return view(await get_one(charge_id))

    refund = Decision(
        "/{charge_id:str}/refund",
        requires(Role.FINANCE),
        "Refund a Stars payment in full through Telegram (idempotent; retry if pending)",
        RefundStarsPayment,
        lambda refund, charge_id, body, actor: refund(charge_id, body.reason, actor),
        view,
        RefundBody,
    ).handler()
