"""The bet lifecycle, one use case a module, in the order a bet meets them:

- `queue`: `BetQueue`, where every door hands a bet; bets arriving together share a batch;
- `place`: `PlaceBet`, a bet placed alone (the checks, the decision, the stake's posting);
- `place_many`: `PlaceBets`, bets placed together in one transaction, each with its own result;
- `decision`: `decide_bet`, deciding a bet in plain Python (the same for both roads);
- `settle`: `SettleDiceBet`, a Telegram dice bet settled on the dice the bot sent;
- `void`: `VoidBet`, a placed bet called off;
- `get`: `GetBet`; `queries`: the staff's bet search and check;
- `poster` and `receipts`: what the use cases above share.

The names below are re-exported so that doors import `application.betting`."""

from application.betting.decision import PlaceBetCommand
from application.betting.get import GetBet
from application.betting.place import PlaceBet
from application.betting.place_many import PlaceBets
from application.betting.receipts import NO_BET_METRICS, BetOutcome, BetReceipt, UncountedBets
from application.betting.settle import SettleDiceBet, SettleDiceBetCommand
from application.betting.void import VoidBet, VoidBetCommand

__all__ = [
    "NO_BET_METRICS",
    "BetOutcome",
    "BetReceipt",
    "GetBet",
    "PlaceBet",
    "PlaceBetCommand",
    "PlaceBets",
    "SettleDiceBet",
    "SettleDiceBetCommand",
    "UncountedBets",
    "VoidBet",
    "VoidBetCommand",
]
