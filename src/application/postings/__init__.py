"""Use cases that move money: deposits, debits, transfers and staff adjustments.

Each builds one balanced transaction and hands it to the ledger inside one unit of work; the
ledger applies it atomically and answers a replay of the same idempotency key with the first
result.

One use case a module: `deposit`, `debit`, `adjust`, `transfer`, on `poster`."""

from application.postings.adjust import AdjustBalance, AdjustBalanceCommand
from application.postings.debit import DebitWallet, DebitWalletCommand
from application.postings.deposit import CreditDeposit, CreditDepositCommand
from application.postings.poster import MAX_REASON_LENGTH, WalletPoster, WalletPosting
from application.postings.transfer import Transfer, TransferCommand

__all__ = [
    "MAX_REASON_LENGTH",
    "AdjustBalance",
    "AdjustBalanceCommand",
    "CreditDeposit",
    "CreditDepositCommand",
    "DebitWallet",
    "DebitWalletCommand",
    "Transfer",
    "TransferCommand",
    "WalletPoster",
    "WalletPosting",
]
