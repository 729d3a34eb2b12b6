"""The reconciliation with Crypto Pay's invoice list: a paid invoice whose webhook was missed
is credited (on the webhook's own road), an expired one is marked so."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from application.crypto_pay.credit import CreditCryptoInvoice
from application.ports import (
    Clock,
    CryptoPayGateway,
    CryptoPayRefused,
    CryptoPayUnavailable,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

# getInvoices takes at most this many ids in one call; the job reads as many open invoices.
BATCH = 100
# An invoice the provider no longer lists (or never created: pending) is expired only this
# long after its own expiry, so a late answer of the provider is not raced.
GRACE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class PollReport:
    checked: int = 0
    credited: int = 0
    held: int = 0
    expired: int = 0
    provider_down: bool = False


class PollCryptoInvoices:
    """One pass over the open invoices (oldest first, up to `BATCH`). The provider's word
    decides: `paid` goes through `CreditCryptoInvoice` (exactly once, whoever is first: this
    job or the webhook), `expired` marks the invoice expired. When the provider does not
    answer nothing changes, and the next pass asks again."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: CryptoPayGateway,
        credit: CreditCryptoInvoice,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._credit = credit

    async def __call__(self) -> PollReport:
        async with self._uow() as uow:
            open_invoices = list(await uow.crypto_invoices.open_invoices(BATCH))
        if not open_invoices:
            return PollReport()
        ids = [i.provider_invoice_id for i in open_invoices if i.provider_invoice_id is not None]
        try:
            reported = {r.invoice_id: r for r in await self._gateway.invoices(ids)} if ids else {}
        except (CryptoPayUnavailable, CryptoPayRefused) as error:
            log.warning("Crypto Pay reconciliation: the provider did not answer (%s)", error)
            return PollReport(checked=len(open_invoices), provider_down=True)
        credited = held = expired = 0
        now = self._clock.now()
        for invoice in open_invoices:
            report = reported.get(invoice.provider_invoice_id or -1)
            if report is not None and report.payload != invoice.reference:
                # Asked by its id, the provider names another payload: not ours to settle.
                log.error(
                    "Crypto Pay invoice %s no longer carries reference %s: left for staff",
                    report.invoice_id,
                    invoice.reference,
                )
            elif report is not None and report.status == "paid":
                result = await self._credit(report)
                credited += result.credited
                held += result.held
            elif (report is not None and report.status == "expired") or (
                report is None and now > invoice.expires_at + GRACE
            ):
                expired += await self._expire(invoice.reference)
        return PollReport(len(open_invoices), credited, held, expired)

    async def _expire(self, reference: str) -> int:
        async with self._uow() as uow:
            invoice = await uow.crypto_invoices.lock(reference)
            if invoice is None or not invoice.state.is_open:
                return 0  # paid or held by a webhook meanwhile
            await uow.crypto_invoices.save(invoice.expire())
            await uow.commit()
        return 1
