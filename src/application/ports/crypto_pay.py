"""Crypto Pay (the CryptoBot app API): the provider's calls, its signed webhooks, and the
invoices we keep (docs/payments-crypto.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.crypto_pay import (
    DEFAULT_INVOICE_EXPIRY,
    CryptoInvoice,
    ProviderInvoice,
    ProviderTransfer,
)
from domain.money import Currency, Money


class CryptoPayUnavailable(Exception):
    """The provider did not answer in time, or was down: the outcome of the call is unknown
    (an invoice may exist); a retry or the reconciliation finds out."""


class CryptoPayRefused(Exception):
    """The provider answered `{"ok": false, "error": ...}`: the call definitely did nothing."""

    def __init__(self, name: str, code: int | None = None) -> None:
        super().__init__(f"Crypto Pay refused: {name}")
        self.name = name
        self.status = code


class BadWebhookSignature(Exception):
    """A webhook whose `crypto-pay-api-signature` is not ours: nothing is read from it."""


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    amount: Money
    payload: str  # our reference
    expires_in: timedelta
    description: str = ""


class CryptoPayGateway(Protocol):
    """The provider's API calls the deposits and the payouts need."""

    async def create_invoice(self, request: InvoiceRequest) -> ProviderInvoice:
        """Raise `CryptoPayRefused` or `CryptoPayUnavailable` (see above)."""
        ...

    async def invoices(self, invoice_ids: Sequence[int]) -> Sequence[ProviderInvoice]:
        """What the provider says of these invoices (`getInvoices`); unknown ids are absent."""
        ...

    async def balances(self) -> Mapping[str, str]:
        """The app's available balance per asset (`getBalance`), as the provider writes it."""
        ...

    async def transfer(
        self, user_id: int, amount: Money, spend_id: str, comment: str = ""
    ) -> ProviderTransfer:
        """Send `amount` from the app's balance to the Telegram user `user_id` (`transfer`).
        The provider makes one transfer per `spend_id`: a repeat answers the first one.
        `CryptoPayRefused`: nothing was sent; `CryptoPayUnavailable`: unknown."""
        ...

    async def transfer_by_spend_id(self, spend_id: str) -> ProviderTransfer | None:
        """The transfer made under `spend_id` (`getTransfers`), or None: none was made."""
        ...


class CryptoPayWebhooks(Protocol):
    """Reads a webhook: its signature checked on the raw body, then its JSON decoded."""

    def read(self, body: bytes, signature: str) -> ProviderInvoice | None:
        """The invoice of an `invoice_paid` update; None for another update type or a body
        that is no update. Raise `BadWebhookSignature` for a wrong or missing signature."""
        ...


@dataclass(frozen=True, slots=True)
class CryptoPayConfig:
    """What the operator set (entrypoints/settings/crypto_pay.py). `enabled` is False without
    a token: no invoice is offered, the webhook answers 404, the poller does not run."""

    enabled: bool = False
    assets: frozenset[str] = frozenset({"USDT", "TON"})
    invoice_expiry: timedelta = DEFAULT_INVOICE_EXPIRY
    webhook_path: str = ""


class CryptoInvoiceRepository(Protocol):
    """Invoices we created at Crypto Pay. One row per our reference; the provider's invoice id
    and the player's idempotency key are unique too."""

    async def add(self, invoice: CryptoInvoice) -> bool:
        """False (nothing written) when the player already used this idempotency key."""
        ...

    async def by_key(self, player_id: int, idempotency_key: str) -> CryptoInvoice | None: ...

    async def lock(self, reference: str) -> CryptoInvoice | None:
        """The invoice under its row lock until the unit of work ends."""
        ...

    async def save(self, invoice: CryptoInvoice) -> None: ...

    async def open_invoices(self, limit: int) -> Sequence[CryptoInvoice]:
        """Pending and active invoices, oldest first."""
        ...

    async def open_total(self, player_id: int, currency: Currency, now: datetime) -> int:
        """What the player's invoices not yet expired could still bring in, in minor units:
        counted against their deposit limit with a new invoice's amount."""
        ...
