"""Deposits in Telegram Stars and their refunds.

The flow Telegram imposes: we send an invoice (`CreateStarsInvoice`), Telegram asks whether to
take the money (`CheckPreCheckout`, answered within 10 s), then reports the charge
(`CreditStarsPayment`). Checks happen before the money is taken; once Telegram reports a charge
the Stars are the player's and are always credited, exactly once per charge id.

A refund (`RefundStarsPayment`, staff only) is ledger first: the Stars leave the wallet in one
transaction before Telegram is asked, so the player cannot spend them while Telegram refunds
them. If Telegram refuses, a compensating transaction puts them back; if Telegram's answer is
lost, the payment stays `refunding` and a retry asks Telegram again without a second reversal
(Telegram answers an already refunded charge with an error we treat as success).

One step a module: `invoice` (and `invoice_link`, the Mini App's road to it), `pre_checkout`,
`credit`, `refund`, and the staff's `queries`."""

from application.payments.credit import CreditStarsPayment, StarsCredit
from application.payments.invoice import CreateStarsInvoice
from application.payments.invoice_link import OfferStarsInvoiceLink, StarsInvoiceLink
from application.payments.pre_checkout import CheckPreCheckout
from application.payments.queries import GetStarsPayment, ListStarsPayments
from application.payments.refund import RefundStarsPayment

__all__ = [
    "CheckPreCheckout",
    "CreateStarsInvoice",
    "CreditStarsPayment",
    "GetStarsPayment",
    "ListStarsPayments",
    "OfferStarsInvoiceLink",
    "RefundStarsPayment",
    "StarsCredit",
    "StarsInvoiceLink",
]
