"""Telegram Stars payments and their refunds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.payments import InvoiceWording, StarsInvoice, StarsPayment


class StarsPaymentRepository(Protocol):
    """Telegram Stars invoices we offered and charges Telegram reported. The ledger holds the
    money; these rows hold what Telegram said, so a refund can name the charge."""

    async def add_invoice(self, invoice: StarsInvoice) -> None: ...

    async def invoice(self, payload: str) -> StarsInvoice | None: ...

    async def add_payment(self, payment: StarsPayment) -> bool:
        """Record a charge; False (and nothing written) when that charge id is already known."""
        ...

    async def payment(self, charge_id: str, *, for_update: bool = False) -> StarsPayment:
        """The payment, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save_payment(self, payment: StarsPayment) -> None:
        """Persist a refund step of a known payment."""
        ...

    async def list_payments(self, player_id: int | None, limit: int) -> Sequence[StarsPayment]: ...


class StarsRefunds(Protocol):
    """Telegram's `refundStarPayment`, which returns a charge to the payer in full."""

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        """Return when Telegram has refunded the charge (or reports it refunded already).
        Raise `RefundRefused` when Telegram definitely will not refund it; any other exception
        means the outcome is unknown and the refund may be retried."""
        ...


class StarsInvoiceLinks(Protocol):
    """Telegram's `createInvoiceLink`: a link that opens the payment form of a recorded
    invoice (the Mini App opens it with `Telegram.WebApp.openInvoice`). The link carries the
    invoice's own payload and price in Stars, so the pre-checkout and the credit read it as
    they read an invoice sent in the chat."""

    async def invoice_link(self, invoice: StarsInvoice, wording: InvoiceWording) -> str:
        """The link; `InvoiceLinkUnavailable` when Telegram does not give one (no bot, an
        error, no answer): nothing was charged, the player may try again."""
        ...
