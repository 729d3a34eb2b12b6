"""The one road of a paid Crypto Pay invoice, from the webhook or the poller."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from application.campaigns.deposit_match import match_deposit
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.postings import WalletPoster
from application.risk import RiskReview
from domain.crypto_pay import CryptoInvoice, ProviderInvoice, decimal_text, is_our_reference
from domain.money import Money
from domain.postings import crypto_pay_credit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CryptoCredit:
    """What a paid report did: `credited` only the first time an invoice is credited; `held`
    when it was held for staff now; neither for a replay, an unknown reference or a report
    that is not a payment."""

    invoice: CryptoInvoice | None
    credited: bool = False
    held: bool = False
    balance: Money | None = None


class CreditCryptoInvoice(WalletPoster):
    """Crypto Pay reports an invoice paid (`invoice_paid` webhook, or `getInvoices`): credit the
    player once per invoice, under the invoice's row lock, in the transaction that marks it
    paid, against the money held at Crypto Pay (`crypto_pay_held`). The ledger's idempotency
    key (`cryptopay:<invoice id>`) and the unique provider id are a second and third lock on
    the same door.

    Never refused for the player's standing or limits: those were checked when the invoice was
    made, and the money has been paid. A payment that is not what the invoice asked (another
    asset or amount, another provider invoice carrying our reference, a payment after we saw
    it expire) is not credited: the invoice is `held` and a `payment_mismatch` risk flag
    raised for staff, once."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        risk: RiskReview,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._risk = risk

    async def __call__(self, reported: ProviderInvoice) -> CryptoCredit:
        if not is_our_reference(reported.payload):
            log.warning(
                "Crypto Pay invoice %s carries no reference of ours: ignored", reported.invoice_id
            )
            return CryptoCredit(None)
        async with self._uow() as uow:
            credit = await self.credit_in(uow, reported)
            await uow.commit()
        return credit

    async def credit_in(self, uow: UnitOfWork, reported: ProviderInvoice) -> CryptoCredit:
        """The same inside a unit of work the caller commits (the poller's)."""
        invoice = await uow.crypto_invoices.lock(reported.payload)
        if invoice is None:
            log.warning(
                "Crypto Pay invoice %s names reference %r we never issued: ignored",
                reported.invoice_id,
                reported.payload[:64],
            )
            return CryptoCredit(None)
        now = self._clock.now()
        payment = invoice.report_paid(reported, now)
        if payment is None:
            stray = invoice.stray_payment(reported)
            if stray:
                # An orphan of a lost createInvoice answer was paid too: never credited, but
                # staff see it (one open flag per player and kind: a replay adds nothing).
                await self._flag(uow, invoice, reported, stray, now)
                log.warning("Crypto Pay invoice %s: %s", invoice.reference, stray)
            return CryptoCredit(invoice)
        if not payment.credit:
            await uow.crypto_invoices.save(payment.invoice)
            await self._flag(uow, invoice, reported, payment.reason, now)
            log.warning(
                "Crypto Pay invoice %s held for staff: %s", invoice.reference, payment.reason
            )
            return CryptoCredit(payment.invoice, held=True)
        paid = payment.invoice
        assert paid.provider_invoice_id is not None  # report_paid sets it
        posting = await self._post_in(
            uow,
            paid.player_id,
            crypto_pay_credit(paid.provider_invoice_id, paid.reference, paid.amount),
        )
        await uow.crypto_invoices.save(paid.credited(posting.transaction.id))
        if not posting.replayed:
            # A deposit match grants in the credit's own transaction, or not at all.
            await match_deposit(
                uow,
                self._ids,
                player_id=paid.player_id,
                deposit=paid.amount,
                deposit_key=posting.transaction.idempotency_key,
                now=now,
                shards=self._house.shards,
            )
        return CryptoCredit(paid, credited=not posting.replayed, balance=posting.balance)

    async def _flag(
        self,
        uow: UnitOfWork,
        invoice: CryptoInvoice,
        reported: ProviderInvoice,
        reason: str,
        now: datetime,
    ) -> None:
        """A `payment_mismatch` risk flag for staff: a payment not credited."""
        evidence: dict[str, object] = {
            "provider": "crypto_pay",
            "reference": invoice.reference,
            "invoice_id": reported.invoice_id,
            "asked": f"{decimal_text(invoice.amount)} {invoice.amount.currency.code}",
            "paid_asset": (reported.paid_asset or reported.asset)[:16],
            "paid_amount": (reported.paid_amount or reported.amount)[:40],
            "reason": reason,
        }
        await self._risk.on_payment_mismatch(uow, invoice.player_id, evidence, now)
