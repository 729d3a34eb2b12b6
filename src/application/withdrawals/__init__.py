"""Withdrawals: a player asks, staff approve or reject, the payout gateway pays (or fails).

Every step is one unit of work: the withdrawal's new state, the ledger transaction that moves
its money and the audit entry commit together, with the withdrawal's row locked so that
concurrent clicks decide it once. The money moves

- on request: wallet → withdrawals pending (so it cannot be bet or withdrawn twice),
- on approval: withdrawals pending → payout clearing, then the gateway is called,
- on rejection, or the player's cancel before any approval: withdrawals pending → wallet,
- when paid: payout clearing → deposits clearing, the house's account for money crossing the
  boundary of the system in either direction (a deposit arrives through it, a payout leaves
  through it, as a Stars refund does), so its balance stays the net owed to or by the outside;
  paid by Crypto Pay's transfer: payout clearing → crypto pay held (the money leaves the
  provider it came in through),
- when the payout failed: payout clearing → wallet.

The player's standing (`domain.standing`) is read in the unit of work of each step that
would move money towards the player's destination: a blocked player, or one who never
accepted the terms, cannot request (`PlayerBlocked`, `TermsNotAccepted`), and a blocked
player's withdrawals are frozen (`WithdrawalFrozen`, 409): staff cannot approve them, mark
them paid or have the gateway pay them until the block is lifted. Rejecting one (the money
returns to the wallet) and recording a failed payout stay possible, as does every repeat of a
step already taken.

All of them are `withdrawal` transactions, the returns too: a returned withdrawal is a
withdrawal undone, and the cash-flow report's net withdrawals stay right. Each transaction's
idempotency key is the withdrawal's id and the step, so a step can move money only once.

The gateway is called after the approval commits, never inside a database transaction.

One use case a module: `request`, `approve` (and the payout call, `payout`), `reject`, `settle`
(paid or failed), `cancel` (the player's), `send` (the payout run), on the shared `steps`; the
reads are in `queries`."""

from application.withdrawals.approve import ApproveWithdrawal
from application.withdrawals.cancel import CancelWithdrawal
from application.withdrawals.payout import PayoutTiming
from application.withdrawals.reject import RejectWithdrawal
from application.withdrawals.request import RequestWithdrawal
from application.withdrawals.send import PayoutRun, SendPayouts
from application.withdrawals.settle import MarkWithdrawalFailed, MarkWithdrawalPaid
from application.withdrawals.steps import SYSTEM, NoWithdrawalHolds

__all__ = [
    "SYSTEM",
    "ApproveWithdrawal",
    "CancelWithdrawal",
    "MarkWithdrawalFailed",
    "MarkWithdrawalPaid",
    "NoWithdrawalHolds",
    "PayoutRun",
    "PayoutTiming",
    "RejectWithdrawal",
    "RequestWithdrawal",
    "SendPayouts",
]
