"""Crash's shared rounds, one use case a module:

- `place`: `PlaceRoundBet`, a bet on the round taking bets (the one road, plus its seat);
- `cash_out`: `CashOutRoundBet`, at the multiplier of PostgreSQL's clock, paid at once;
- `settle`: `SettleCrashedRound`, the bets still riding when a round crashes;
- `driver`: `CrashDriver`, the one instance that opens, starts and settles rounds;
- `feed`: `RoundFeed`, the rounds' changes for live doors;
- `get`: `GetRound`; `policy`: the settings and the round facts they share."""

from application.crash.cash_out import CashOutCommand, CashOutReceipt, CashOutRoundBet
from application.crash.driver import CrashDriver, DriverStats
from application.crash.feed import Disconnected, RoundEvent, RoundEventKind, RoundFeed
from application.crash.get import GetRound, RoundView
from application.crash.place import PlaceRoundBet, PlaceRoundBetCommand, RoundBetReceipt
from application.crash.policy import CrashPoints, CrashPolicy
from application.crash.settle import SettleCrashedRound

__all__ = [
    "CashOutCommand",
    "CashOutReceipt",
    "CashOutRoundBet",
    "CrashDriver",
    "CrashPoints",
    "CrashPolicy",
    "Disconnected",
    "DriverStats",
    "GetRound",
    "PlaceRoundBet",
    "PlaceRoundBetCommand",
    "RoundBetReceipt",
    "RoundEvent",
    "RoundEventKind",
    "RoundFeed",
    "RoundView",
    "SettleCrashedRound",
]
