"""In-memory Crypto Pay: the invoices we keep (the adapter's rules: one row per reference, a
player's idempotency key once, a provider id once), a gateway that answers like the provider
(or refuses, or does not answer), and the webhook reader (the real signature check)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from adapters.crypto_pay import CryptoPayWebhookReader
from application.ports import CryptoPayRefused, CryptoPayUnavailable, InvoiceRequest
from domain.crypto_pay import CryptoInvoice, ProviderInvoice, ProviderTransfer, decimal_text
from domain.errors import IllegalTransition
from domain.money import Currency, Money

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeCryptoInvoices:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, invoice: CryptoInvoice) -> bool:
        if any(
            i.player_id == invoice.player_id and i.idempotency_key == invoice.idempotency_key
            for i in self.s.crypto_invoices.values()
        ):
            return False
        self.s.crypto_invoices[invoice.reference] = invoice
        return True

    async def by_key(self, player_id: int, idempotency_key: str) -> CryptoInvoice | None:
        for invoice in self.s.crypto_invoices.values():
            if invoice.player_id == player_id and invoice.idempotency_key == idempotency_key:
                return invoice
        return None

    async def lock(self, reference: str) -> CryptoInvoice | None:
        return self.s.crypto_invoices.get(reference)

    async def save(self, invoice: CryptoInvoice) -> None:
        stored = self.s.crypto_invoices.get(invoice.reference)
        if stored is None or stored.amount != invoice.amount:
            raise IllegalTransition(f"invoice {invoice.reference} cannot change its terms")
        taken = {
            i.provider_invoice_id
            for i in self.s.crypto_invoices.values()
            if i.reference != invoice.reference
        }
        if invoice.provider_invoice_id is not None and invoice.provider_invoice_id in taken:
            raise IllegalTransition("a provider invoice id is unique")
        self.s.crypto_invoices[invoice.reference] = invoice

    async def open_invoices(self, limit: int) -> Sequence[CryptoInvoice]:
        opened = [i for i in self.s.crypto_invoices.values() if i.state.is_open]
        return sorted(opened, key=lambda i: (i.created_at, i.reference))[:limit]

    async def open_total(self, player_id: int, currency: Currency, now: datetime) -> int:
        return sum(
            i.amount.amount
            for i in self.s.crypto_invoices.values()
            if i.player_id == player_id
            and i.amount.currency == currency
            and i.state.is_open
            and i.expires_at > now
        )


class FakeCryptoPayGateway:
    """The provider's invoices in memory. `mode`: "ok", "refuse" (`{"ok": false}`), "down"
    (no answer)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.invoices_by_id: dict[int, ProviderInvoice] = {}
        self.created: list[InvoiceRequest] = []
        self._ids = itertools.count(1001)
        self.balance: dict[str, str] = {"USDT": "0", "TON": "0"}
        self.transfers: dict[str, ProviderTransfer] = {}

    def _answer(self) -> None:
        if self.mode == "refuse":
            raise CryptoPayRefused("AMOUNT_TOO_BIG", 400)
        if self.mode == "down":
            raise CryptoPayUnavailable("no answer")

    async def create_invoice(self, request: InvoiceRequest) -> ProviderInvoice:
        self._answer()
        self.created.append(request)
        invoice_id = next(self._ids)
        invoice = ProviderInvoice(
            invoice_id=invoice_id,
            status="active",
            asset=request.amount.currency.code,
            amount=decimal_text(request.amount),
            payload=request.payload,
            pay_url=f"https://t.me/CryptoBot?start=IV{invoice_id}",
        )
        self.invoices_by_id[invoice_id] = invoice
        return invoice

    async def invoices(self, invoice_ids: Sequence[int]) -> Sequence[ProviderInvoice]:
        self._answer()
        return [self.invoices_by_id[i] for i in invoice_ids if i in self.invoices_by_id]

    async def balances(self) -> Mapping[str, str]:
        self._answer()
        return dict(self.balance)

    async def transfer(
        self, user_id: int, amount: Money, spend_id: str, comment: str = ""
    ) -> ProviderTransfer:
        self._answer()
        made = self.transfers.get(spend_id)
        if made is None:
            made = ProviderTransfer(
                next(self._ids),
                spend_id,
                user_id,
                amount.currency.code,
                decimal_text(amount),
                "completed",
            )
            self.transfers[spend_id] = made
        return made

    async def transfer_by_spend_id(self, spend_id: str) -> ProviderTransfer | None:
        self._answer()
        return self.transfers.get(spend_id)

    def pay(self, invoice_id: int, **changes: object) -> ProviderInvoice:
        """The player pays (in the provider's books): the invoice as its webhook will carry it."""
        paid = replace(self.invoices_by_id[invoice_id], status="paid", **changes)  # type: ignore[arg-type]
        self.invoices_by_id[invoice_id] = paid
        return paid

    def expire(self, invoice_id: int) -> None:
        self.invoices_by_id[invoice_id] = replace(self.invoices_by_id[invoice_id], status="expired")


__all__ = ["CryptoPayWebhookReader", "FakeCryptoInvoices", "FakeCryptoPayGateway"]
