"""Telegram Stars invoices and payments in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import NotFound
from domain.money import XTR, Money
from domain.payments import PaymentStatus, StarsInvoice, StarsPayment

_PAYMENT_COLUMNS = (
    "charge_id, player_id, telegram_user_id, amount, payload, deposit_transaction_id, paid_at,"
    " status, refund_attempts, refund_transaction_id, refund_requested_by, refund_reason,"
    " refunded_at"
)
_GET = text(f"SELECT {_PAYMENT_COLUMNS} FROM stars_payments WHERE charge_id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(
    f"SELECT {_PAYMENT_COLUMNS} FROM stars_payments WHERE charge_id = :id FOR UPDATE"  # noqa: S608 - a constant column list  # nosec B608
)
_LIST = text(
    f"SELECT {_PAYMENT_COLUMNS} FROM stars_payments"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE CAST(:player AS bigint) IS NULL OR player_id = :player"
    " ORDER BY paid_at DESC, charge_id DESC LIMIT :limit"
)


class SqlStarsPayments:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_invoice(self, invoice: StarsInvoice) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO stars_invoices (payload, player_id, amount, created_at)"
                " VALUES (:payload, :player, :amount, :at)"
            ),
            {
                "payload": invoice.payload,
                "player": invoice.player_id,
                "amount": invoice.amount.amount,
                "at": invoice.created_at,
            },
        )

    async def invoice(self, payload: str) -> StarsInvoice | None:
        row = (
            await self._conn.execute(
                text(
                    "SELECT payload, player_id, amount, created_at FROM stars_invoices"
                    " WHERE payload = :payload"
                ),
                {"payload": payload},
            )
        ).first()
        if row is None:
            return None
        return StarsInvoice(row.payload, row.player_id, Money(row.amount, XTR), row.created_at)

    async def add_payment(self, payment: StarsPayment) -> bool:
        result = await self._conn.execute(
            text(
                "INSERT INTO stars_payments (charge_id, player_id, telegram_user_id, amount,"
                " payload, deposit_transaction_id, paid_at)"
                " VALUES (:charge, :player, :user, :amount, :payload, :tx, :at)"
                " ON CONFLICT (charge_id) DO NOTHING"
            ),
            {
                "charge": payment.charge_id,
                "player": payment.player_id,
                "user": payment.telegram_user_id,
                "amount": payment.amount.amount,
                "payload": payment.payload,
                "tx": payment.deposit_transaction_id,
                "at": payment.paid_at,
            },
        )
        return result.rowcount == 1

    async def payment(self, charge_id: str, *, for_update: bool = False) -> StarsPayment:
        row = (
            await self._conn.execute(_GET_FOR_UPDATE if for_update else _GET, {"id": charge_id})
        ).first()
        if row is None:
            raise NotFound(f"no Stars payment with charge id {charge_id!r}")
        return _payment(row)

    async def save_payment(self, payment: StarsPayment) -> None:
        result = await self._conn.execute(
            text(
                "UPDATE stars_payments SET status = :status, refund_attempts = :attempts,"
                " refund_transaction_id = :tx, refund_requested_by = :by,"
                " refund_reason = :reason, refunded_at = :at WHERE charge_id = :id"
            ),
            {
                "status": payment.status.value,
                "attempts": payment.refund_attempts,
                "tx": payment.refund_transaction_id,
                "by": payment.refund_requested_by,
                "reason": payment.refund_reason,
                "at": payment.refunded_at,
                "id": payment.charge_id,
            },
        )
        if result.rowcount != 1:
            raise NotFound(f"no Stars payment with charge id {payment.charge_id!r}")

    async def list_payments(self, player_id: int | None, limit: int) -> Sequence[StarsPayment]:
        rows = await self._conn.execute(_LIST, {"player": player_id, "limit": limit})
        return [_payment(r) for r in rows]


def _payment(row: Any) -> StarsPayment:
    return StarsPayment(
        charge_id=row.charge_id,
        player_id=row.player_id,
        telegram_user_id=row.telegram_user_id,
        amount=Money(row.amount, XTR),
        payload=row.payload,
        deposit_transaction_id=row.deposit_transaction_id,
        paid_at=row.paid_at,
        status=PaymentStatus(row.status),
        refund_attempts=row.refund_attempts,
        refund_transaction_id=row.refund_transaction_id,
        refund_requested_by=row.refund_requested_by,
        refund_reason=row.refund_reason,
        refunded_at=row.refunded_at,
    )
