"""Crypto Pay invoices in PostgreSQL (migrations 0051, 0057: the "creating" mark)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.crypto_pay import CryptoInvoice, InvoiceState
from domain.money import Currency, CurrencyRegistry, Money

_COLUMNS = (
    "reference, provider_invoice_id, player_id, idempotency_key, currency, amount, state,"
    " pay_url, created_at, expires_at, paid_at, deposit_transaction_id, hold_reason,"
    " creating_until"
)
_BY_KEY = text(
    f"SELECT {_COLUMNS} FROM crypto_invoices"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND idempotency_key = :key"
)
_LOCK = text(
    f"SELECT {_COLUMNS} FROM crypto_invoices"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE reference = :reference FOR UPDATE"
)
_OPEN = text(
    f"SELECT {_COLUMNS} FROM crypto_invoices"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE state IN ('pending', 'active') ORDER BY created_at, reference LIMIT :limit"
)
_INSERT = text(
    "INSERT INTO crypto_invoices (reference, provider_invoice_id, player_id, idempotency_key,"
    " currency, amount, state, pay_url, created_at, expires_at, creating_until)"
    " VALUES (:reference, :provider, :player, :key, :currency, :amount, :state, :url, :at,"
    " :expires, :creating) ON CONFLICT (player_id, idempotency_key) DO NOTHING RETURNING reference"
)
_SAVE = text(
    "UPDATE crypto_invoices SET provider_invoice_id = :provider, state = :state,"
    " pay_url = :url, paid_at = :paid_at, deposit_transaction_id = :tx, hold_reason = :hold,"
    " creating_until = :creating WHERE reference = :reference"
)
_OPEN_TOTAL = text(
    "SELECT coalesce(sum(amount), 0) FROM crypto_invoices WHERE player_id = :player"
    " AND currency = :currency AND state IN ('pending', 'active') AND expires_at > :now"
)


class SqlCryptoInvoices:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, invoice: CryptoInvoice) -> bool:
        row = (
            await self._conn.execute(
                _INSERT,
                {
                    "reference": invoice.reference,
                    "provider": invoice.provider_invoice_id,
                    "player": invoice.player_id,
                    "key": invoice.idempotency_key,
                    "currency": invoice.amount.currency.code,
                    "amount": invoice.amount.amount,
                    "state": invoice.state.value,
                    "url": invoice.pay_url,
                    "at": invoice.created_at,
                    "expires": invoice.expires_at,
                    "creating": invoice.creating_until,
                },
            )
        ).first()
        return row is not None

    async def by_key(self, player_id: int, idempotency_key: str) -> CryptoInvoice | None:
        row = (
            await self._conn.execute(_BY_KEY, {"player": player_id, "key": idempotency_key})
        ).first()
        return None if row is None else self._invoice(row)

    async def lock(self, reference: str) -> CryptoInvoice | None:
        row = (await self._conn.execute(_LOCK, {"reference": reference})).first()
        return None if row is None else self._invoice(row)

    async def save(self, invoice: CryptoInvoice) -> None:
        await self._conn.execute(
            _SAVE,
            {
                "reference": invoice.reference,
                "provider": invoice.provider_invoice_id,
                "state": invoice.state.value,
                "url": invoice.pay_url,
                "paid_at": invoice.paid_at,
                "tx": invoice.deposit_transaction_id,
                "hold": invoice.hold_reason,
                "creating": invoice.creating_until,
            },
        )

    async def open_invoices(self, limit: int) -> Sequence[CryptoInvoice]:
        return [self._invoice(r) for r in await self._conn.execute(_OPEN, {"limit": limit})]

    async def open_total(self, player_id: int, currency: Currency, now: datetime) -> int:
        params = {"player": player_id, "currency": currency.code, "now": now}
        return int((await self._conn.execute(_OPEN_TOTAL, params)).scalar_one())

    def _invoice(self, row: Any) -> CryptoInvoice:
        return CryptoInvoice(
            reference=row.reference,
            player_id=row.player_id,
            idempotency_key=row.idempotency_key,
            amount=Money(row.amount, self._currencies.get(row.currency)),
            state=InvoiceState(row.state),
            created_at=row.created_at,
            expires_at=row.expires_at,
            provider_invoice_id=row.provider_invoice_id,
            pay_url=row.pay_url,
            paid_at=row.paid_at,
            deposit_transaction_id=row.deposit_transaction_id,
            hold_reason=row.hold_reason,
            creating_until=row.creating_until,
        )
