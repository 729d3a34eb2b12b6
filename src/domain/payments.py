"""Deposits in Telegram Stars (XTR): the invoice a player is sent, the payment Telegram reports,
and its refund.

Telegram's flow (see the facts file): an invoice carries a payload of 1-128 bytes that we make
unique per top-up; `pre_checkout_query` asks whether to accept; `successful_payment` reports the
charge, identified by `telegram_payment_charge_id`. An old invoice can be paid again, so the
payload identifies what was offered and the charge id identifies what was paid: money is
credited once per charge id, never per payload."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import DomainError, IllegalTransition, InvalidRequest
from domain.money import XTR, Money

MAX_PAYLOAD_BYTES = 128
MAX_CHARGE_ID_LENGTH = 200
# Telegram accepts whole Stars only; this ceiling keeps one top-up within what Telegram allows
# for a single invoice.
MAX_INVOICE_STARS = 10_000
# The amounts a deposit screen offers as buttons, the bot's and the Mini App's alike.
DEPOSIT_CHOICES = (50, 100, 500, 1000)


def stars(amount: int) -> Money:
    """An amount of Stars offered or paid, checked against what one invoice may carry."""
    if not 1 <= amount <= MAX_INVOICE_STARS:
        raise InvalidRequest(f"a Stars deposit is between 1 and {MAX_INVOICE_STARS} Stars")
    return Money(amount, XTR)


def validate_payload(payload: str) -> str:
    if not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES:
        raise InvalidRequest(f"an invoice payload is 1 to {MAX_PAYLOAD_BYTES} bytes")
    if "\x00" in payload:
        # No payload we issue has one, and PostgreSQL's text cannot hold it: looking it up
        # failed the statement and aborted the transaction the mismatch flag is written in.
        raise InvalidRequest("an invoice payload has no NUL character")
    return payload


def validate_charge_id(charge_id: str) -> str:
    if not charge_id or len(charge_id) > MAX_CHARGE_ID_LENGTH:
        raise InvalidRequest("a Telegram payment charge id is required")
    return charge_id


MAX_REFUND_REASON_LENGTH = 500


def validate_refund_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("a refund needs a reason")
    if len(reason) > MAX_REFUND_REASON_LENGTH:
        raise InvalidRequest(f"the reason is longer than {MAX_REFUND_REASON_LENGTH} characters")
    return reason


class PaymentMismatch(InvalidRequest):
    """What Telegram asks us to accept is not what we offered: another user, another amount,
    another currency, or a payload we never issued."""

    code = "payment_mismatch"


@dataclass(frozen=True, slots=True)
class StarsInvoice:
    """A top-up offered to one player."""

    payload: str
    player_id: int
    amount: Money
    created_at: datetime

    def __post_init__(self) -> None:
        validate_payload(self.payload)
        if self.amount.currency != XTR:
            raise InvalidRequest("a Stars invoice is in XTR")
        stars(self.amount.amount)

    def check_checkout(self, player_id: int, total_amount: int, currency: str) -> None:
        """Refuse a checkout that does not match this invoice exactly."""
        if player_id != self.player_id:
            raise PaymentMismatch("this invoice was issued to another player")
        if currency != XTR.code:
            raise PaymentMismatch(f"this invoice is payable in {XTR.code} only")
        if total_amount != self.amount.amount:
            raise PaymentMismatch(
                f"this invoice is for {self.amount.amount} Stars, not {total_amount}"
            )


class RefundRefused(DomainError):
    """Telegram answered that it will not refund this charge; the refund is undone."""

    code = "refund_refused"


@dataclass(frozen=True, slots=True)
class InvoiceWording:
    """What Telegram's payment form shows for an invoice, in the player's language (the door
    words it: the bot's texts)."""

    title: str
    description: str
    price_label: str


class InvoiceLinkUnavailable(DomainError):
    """Telegram gave no payment link for an invoice (no bot configured, an error, no answer):
    nothing was charged; asking again makes a new invoice and a new link."""

    code = "invoice_link_unavailable"


class RefundPending(DomainError):
    """Telegram did not answer the refund: the Stars are held out of the wallet and the refund
    stays under way until a retry gets an answer."""

    code = "refund_pending"


class PaymentStatus(enum.StrEnum):
    PAID = "paid"
    # The ledger has taken the money back and Telegram is being (or was, without an answer)
    # asked to refund; a retry asks Telegram again and never posts a second reversal.
    REFUNDING = "refunding"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class StarsPayment:
    """A charge Telegram reported as paid, and where its refund stands.

    paid -> refunding -> refunded, or refunding -> paid when Telegram refuses the refund (the
    reversal is compensated and `refund_attempts` counts the try, so the next attempt posts
    under a new idempotency key: see `domain.posting_keys.stars_refund_key`)."""

    charge_id: str
    player_id: int
    telegram_user_id: int
    amount: Money
    payload: str
    deposit_transaction_id: uuid.UUID
    paid_at: datetime
    status: PaymentStatus = PaymentStatus.PAID
    refund_attempts: int = 0
    refund_transaction_id: uuid.UUID | None = None
    refund_requested_by: str | None = None
    refund_reason: str | None = None
    refunded_at: datetime | None = None

    def start_refund(self, transaction_id: uuid.UUID, by: str, reason: str) -> StarsPayment:
        if self.status is not PaymentStatus.PAID:
            raise IllegalTransition(f"a {self.status.value} payment cannot start a refund")
        return replace(
            self,
            status=PaymentStatus.REFUNDING,
            refund_transaction_id=transaction_id,
            refund_requested_by=by,
            refund_reason=reason,
        )

    def complete_refund(self, now: datetime) -> StarsPayment:
        if self.status is not PaymentStatus.REFUNDING:
            raise IllegalTransition(f"a {self.status.value} payment has no refund to complete")
        return replace(self, status=PaymentStatus.REFUNDED, refunded_at=now)

    def abandon_refund(self) -> StarsPayment:
        """Telegram refused: the money is back in the wallet and the payment stands."""
        if self.status is not PaymentStatus.REFUNDING:
            raise IllegalTransition(f"a {self.status.value} payment has no refund to abandon")
        return replace(
            self,
            status=PaymentStatus.PAID,
            refund_attempts=self.refund_attempts + 1,
            refund_transaction_id=None,
        )
