"""Deposits in crypto through Crypto Pay (the CryptoBot app API; docs/payments-crypto.md).

We create an invoice at the provider carrying our own reference in its `payload`; the player
pays it in the CryptoBot app; the provider reports it paid (a signed webhook, or our poll of
`getInvoices`). Money is credited once per invoice, and only when what was paid is exactly
what the invoice asked: another asset or amount, or a payment of an invoice we had already
seen expire, is held for staff instead (the invoice becomes `held`, a risk flag is raised).

pending --(provider created it)--> active --(paid as asked)--> paid
   |                                  |----(provider says expired)--> expired
   |                                  `----(paid otherwise)--> held
   |--(the provider refused)--> failed
   `--(never reached the provider, past its expiry)--> expired
A `pending` invoice's link was never shown, but the provider may have created it (a timeout):
its webhook still finds it by our reference. An `expired` invoice that is reported paid is
held, never credited.

While one request asks the provider to create a pending invoice it holds the invoice's
"creating" mark (`creating_until`, a lease): a twin request (the same idempotency key: a
double tap) finds it and is told `InvoiceBeingCreated` instead of asking the provider for a
second invoice under the same reference (docs/payments-crypto.md, "A double tap")."""

from __future__ import annotations

import enum
import hashlib
import hmac
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from domain.decimal_text import parse_decimal
from domain.errors import DomainError, IdempotencyConflict, IllegalTransition, InvalidRequest
from domain.money import TON, USDT, Currency, Money

# What the rail takes, and how much one invoice may ask, in minor units: from a small but
# useful top-up (1 USDT, 0.1 TON) to a ceiling well inside one operation's cap.
CRYPTO_ASSETS: Final[dict[str, Currency]] = {USDT.code: USDT, TON.code: TON}
DEPOSIT_BOUNDS: Final[dict[str, tuple[int, int]]] = {
    USDT.code: (1_000_000, 10_000 * 10**6),
    TON.code: (100_000_000, 2_000 * 10**9),
}
# The amounts a deposit screen offers as buttons, in whole units of each asset (within the
# bounds above): the bot's and the Mini App's alike.
DEPOSIT_CHOICES: Final[dict[str, tuple[int, ...]]] = {
    USDT.code: (5, 10, 25, 50, 100),
    TON.code: (1, 2, 5, 10, 25),
}
DEFAULT_INVOICE_EXPIRY: Final = timedelta(hours=1)
MAX_REFERENCE_LENGTH: Final = 64
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 128
_REFERENCE_PREFIX: Final = "cp:"
# How a hold caused by another provider invoice carrying our reference begins.
_ANOTHER_INVOICE: Final = "provider invoice "


class CryptoDepositUnavailable(InvalidRequest):
    """The crypto rail is switched off, or this asset is not offered."""

    code = "crypto_deposit_unavailable"


class CryptoProviderDown(DomainError):
    """Crypto Pay did not answer (or refused) the invoice; nothing was charged."""

    code = "crypto_provider_down"


class InvoiceBeingCreated(IdempotencyConflict):
    """A twin request (the same idempotency key) is creating this invoice at the provider right
    now: nothing was charged; asking again in a moment gets its link."""

    code = "crypto_invoice_being_created"


def crypto_asset(code: str, allowed: frozenset[str] | None = None) -> Currency:
    currency = CRYPTO_ASSETS.get(code.upper()) if isinstance(code, str) else None
    if currency is None or (allowed is not None and currency.code not in allowed):
        offered = ", ".join(sorted(allowed if allowed is not None else CRYPTO_ASSETS))
        raise CryptoDepositUnavailable(f"crypto deposits are offered in {offered or 'nothing'}")
    return currency


def deposit_amount(currency: Currency, minor_units: int) -> Money:
    """An amount a player may ask one invoice for, within the asset's bounds."""
    low, high = DEPOSIT_BOUNDS[currency.code]
    if isinstance(minor_units, bool) or not isinstance(minor_units, int):
        raise InvalidRequest("a deposit amount is a whole number of minor units")
    if not low <= minor_units <= high:
        raise InvalidRequest(
            f"a {currency.code} deposit is between {decimal_text(Money(low, currency))} and "
            f"{decimal_text(Money(high, currency))} {currency.code}"
        )
    return Money(minor_units, currency)


def decimal_text(money: Money) -> str:
    """The amount as Crypto Pay writes it: a plain decimal, no trailing zeros ("12.5")."""
    whole, fraction = divmod(money.amount, 10**money.currency.exponent)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(money.currency.exponent, "0").rstrip("0")
    return f"{whole}.{digits}"


def parse_amount(text: object, currency: Currency) -> Money:
    """A decimal amount the provider (or a player) wrote, exactly in minor units; more
    decimals than the asset has is an error, never rounded."""
    value = parse_decimal(text, f"a {currency.code} amount", places=currency.exponent, example="5")
    minor = int(value * (Decimal(10) ** currency.exponent))
    return Money(minor, currency)


def new_reference(invoice_id: uuid.UUID) -> str:
    return f"{_REFERENCE_PREFIX}{invoice_id.hex}"


def is_our_reference(payload: str) -> bool:
    return (
        isinstance(payload, str)
        and payload.startswith(_REFERENCE_PREFIX)
        and len(payload) <= MAX_REFERENCE_LENGTH
        and "\x00" not in payload
    )


def validate_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequest(f"an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters")
    if "\x00" in key:
        raise InvalidRequest("an idempotency key has no NUL character")
    return key


def webhook_signature_valid(token: str, body: bytes, signature: str) -> bool:
    """Crypto Pay's `crypto-pay-api-signature`: hex HMAC-SHA256 of the raw body, keyed with
    the SHA-256 digest of the app's API token; compared in constant time."""
    key = hashlib.sha256(token.encode()).digest()
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(
        expected.encode(), signature.strip().lower().encode("ascii", "replace")
    )


# -- payouts (Crypto Pay's `transfer`) ------------------------------------------------------

MAX_SPEND_ID_LENGTH: Final = 64
_SPEND_ID_PREFIX: Final = "wd:"


def payout_spend_id(withdrawal_id: uuid.UUID) -> str:
    """The transfer's `spend_id`, made from the withdrawal alone: every attempt to pay one
    withdrawal (a retry after a lost answer, the next payout run, a restart after a crash)
    sends the same one, and Crypto Pay makes one transfer per spend id. 35 characters."""
    return f"{_SPEND_ID_PREFIX}{withdrawal_id.hex}"


@dataclass(frozen=True, slots=True)
class ProviderTransfer:
    """A transfer as Crypto Pay reports it (`transfer`)."""

    transfer_id: int
    spend_id: str
    user_id: int
    asset: str
    amount: str  # the decimal text the provider sent
    status: str  # "completed"

    @property
    def reference(self) -> str:
        """The withdrawal's payout reference: the provider's id of the transfer."""
        return f"cryptopay-transfer:{self.transfer_id}"


class InvoiceState(enum.StrEnum):
    PENDING = "pending"  # ours, not (known to be) at the provider yet
    ACTIVE = "active"  # at the provider, its link shown to the player
    PAID = "paid"  # credited
    EXPIRED = "expired"  # not paid in time: credits nothing
    FAILED = "failed"  # the provider refused to create it
    HELD = "held"  # paid, but not as asked: held for staff, a risk flag raised

    @property
    def is_open(self) -> bool:
        return self in {InvoiceState.PENDING, InvoiceState.ACTIVE}


@dataclass(frozen=True, slots=True)
class ProviderInvoice:
    """An invoice as Crypto Pay reports it (createInvoice, getInvoices, a webhook)."""

    invoice_id: int
    status: str  # active, paid, expired
    asset: str
    amount: str  # the decimal text the provider sent, parsed against the invoice
    payload: str
    pay_url: str = ""
    # What was actually paid, when the provider says (else the invoice's asset and amount).
    paid_asset: str = ""
    paid_amount: str = ""
    paid_at: datetime | None = None
    expiration_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """What a paid report changes: credit the invoice, hold it, or nothing (a replay)."""

    invoice: CryptoInvoice
    credit: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CryptoInvoice:
    reference: str
    player_id: int
    idempotency_key: str
    amount: Money
    state: InvoiceState
    created_at: datetime
    expires_at: datetime
    provider_invoice_id: int | None = None
    pay_url: str = ""
    paid_at: datetime | None = None
    deposit_transaction_id: uuid.UUID | None = None
    hold_reason: str = ""
    # The "creating" mark: a request is asking the provider to create this pending invoice
    # until this time (its lease); once past, that call died or its answer was lost.
    creating_until: datetime | None = None

    def __post_init__(self) -> None:
        if self.amount.currency.code not in CRYPTO_ASSETS:
            raise InvalidRequest(f"{self.amount.currency.code} is not a crypto asset")
        if self.expires_at <= self.created_at:
            raise InvalidRequest("an invoice expires after it is created")

    def same_request(self, player_id: int, amount: Money) -> bool:
        return self.player_id == player_id and self.amount == amount

    def creating(self, until: datetime) -> CryptoInvoice:
        """Marked as being created at the provider by one request until `until` (its lease)."""
        if self.state is not InvoiceState.PENDING:
            raise IllegalTransition(f"a {self.state.value} invoice is not being created")
        return replace(self, creating_until=until)

    def being_created(self, now: datetime) -> bool:
        """A request holds the "creating" mark now (its lease has not ended)."""
        return self.creating_until is not None and self.creating_until > now

    def creation_unresolved(self, now: datetime) -> CryptoInvoice:
        """The provider's answer was lost: the mark stays with its lease ended, so the next
        request (a retry of the same key) takes it over at once."""
        if self.creating_until is None or self.creating_until <= now:
            return self
        return replace(self, creating_until=now)

    def creation_abandoned(self) -> CryptoInvoice:
        """The provider was not asked after all (too late to offer it): the mark is cleared."""
        return replace(self, creating_until=None)

    def activate(self, reported: ProviderInvoice) -> CryptoInvoice:
        if self.state is not InvoiceState.PENDING:
            raise IllegalTransition(f"a {self.state.value} invoice cannot become active")
        return replace(
            self,
            state=InvoiceState.ACTIVE,
            provider_invoice_id=reported.invoice_id,
            pay_url=reported.pay_url,
            creating_until=None,
        )

    def fail(self) -> CryptoInvoice:
        if self.state is not InvoiceState.PENDING:
            raise IllegalTransition(f"a {self.state.value} invoice cannot fail")
        return replace(self, state=InvoiceState.FAILED, creating_until=None)

    def expire(self) -> CryptoInvoice:
        if not self.state.is_open:
            raise IllegalTransition(f"a {self.state.value} invoice cannot expire")
        return replace(self, state=InvoiceState.EXPIRED, creating_until=None)

    def report_paid(self, reported: ProviderInvoice, now: datetime) -> Payment | None:
        """The provider says this invoice was paid. None: nothing changes (credited or held
        before, or not a payment). Otherwise credit it, or hold it with the reason."""
        if reported.status != "paid" or self.state in {
            InvoiceState.PAID,
            InvoiceState.HELD,
        }:
            return None
        provider_id = self.provider_invoice_id or reported.invoice_id
        base = replace(
            self,
            provider_invoice_id=provider_id,
            paid_at=reported.paid_at or now,
            creating_until=None,
        )
        reason = self._mismatch(reported)
        if reason:
            return Payment(
                replace(base, state=InvoiceState.HELD, hold_reason=reason), False, reason
            )
        return Payment(replace(base, state=InvoiceState.PAID), True)

    def stray_payment(self, reported: ProviderInvoice) -> str:
        """Why a paid report that changes nothing is still money staff must see, or "".
        A lost createInvoice answer can leave two provider invoices carrying one reference
        (docs/payments-crypto.md, "A double tap"): once one of them settled this invoice
        (credited, or held because the orphan was paid), a payment of the other is never
        credited, but it is a payment all the same."""
        if reported.status != "paid" or self.provider_invoice_id is None:
            return ""
        if self.state is InvoiceState.PAID and reported.invoice_id != self.provider_invoice_id:
            return (
                f"provider invoice {reported.invoice_id} carrying this reference was paid after "
                f"invoice {self.provider_invoice_id} was credited; not credited"
            )
        if (
            self.state is InvoiceState.HELD
            and self.hold_reason.startswith(_ANOTHER_INVOICE)
            and reported.invoice_id == self.provider_invoice_id
        ):
            return (
                f"provider invoice {reported.invoice_id} was paid after another carrying its "
                "reference held it; not credited"
            )
        return ""

    def credited(self, transaction_id: uuid.UUID) -> CryptoInvoice:
        if self.state is not InvoiceState.PAID:
            raise IllegalTransition("only a paid invoice records its credit")
        return replace(self, deposit_transaction_id=transaction_id)

    def _mismatch(self, reported: ProviderInvoice) -> str:
        if self.provider_invoice_id is not None and reported.invoice_id != self.provider_invoice_id:
            return (
                f"{_ANOTHER_INVOICE}{reported.invoice_id} carries the reference of invoice "
                f"{self.provider_invoice_id}"
            )
        if self.state is InvoiceState.EXPIRED:
            return "paid after the invoice had expired"
        if self.state is InvoiceState.FAILED:
            return "paid although the provider refused to create the invoice"
        asset = reported.paid_asset or reported.asset
        amount = reported.paid_amount or reported.amount
        if asset.upper() != self.amount.currency.code:
            return f"paid in {asset[:16]}, the invoice asked {self.amount.currency.code}"
        try:
            paid = parse_amount(amount, self.amount.currency)
        except DomainError:  # unreadable, or beyond any amount (InvalidAmount)
            return f"paid an unreadable amount {amount[:40]!r}"
        if paid != self.amount:
            return (
                f"paid {decimal_text(paid)} {paid.currency.code}, the invoice asked "
                f"{decimal_text(self.amount)}"
            )
        return ""
