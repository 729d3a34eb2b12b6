"""Deposits in crypto through Crypto Pay (docs/payments-crypto.md).

`DepositInCrypto` (the player's door: the bot) checks the standing and deposit limits with the
same guard as a Stars invoice, records the invoice, asks the provider for it and returns the
pay link. `CreditCryptoInvoice` is the one road of a paid invoice, whoever reports it: the
signed webhook or `PollCryptoInvoices`, the reconciliation that asks the provider about open
invoices (a missed webhook, an expiry). An invoice is credited exactly once, under its row
lock, in the transaction that marks it paid; a payment that is not what the invoice asked is
held for staff with a risk flag.

One step a module: `deposit`, `credit`, `poll`; `balances` compares the books with the
provider (the payouts are withdrawals: `application.withdrawals`, `adapters.crypto_pay_payouts`)."""

from application.crypto_pay.balances import CryptoPayBalances, ProviderBalance
from application.crypto_pay.credit import CreditCryptoInvoice, CryptoCredit
from application.crypto_pay.deposit import CryptoDeposit, DepositInCrypto
from application.crypto_pay.poll import PollCryptoInvoices, PollReport

__all__ = [
    "CreditCryptoInvoice",
    "CryptoCredit",
    "CryptoDeposit",
    "CryptoPayBalances",
    "DepositInCrypto",
    "PollCryptoInvoices",
    "PollReport",
    "ProviderBalance",
]
