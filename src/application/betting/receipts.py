"""What a bet's use cases answer (`BetReceipt`, or per bet of a batch `BetOutcome`), and the
metrics nobody watches."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import BetMetrics
from domain.bets import Bet
from domain.errors import DomainError
from domain.money import Currency, Money


@dataclass(frozen=True, slots=True)
class BetReceipt:
    """A bet as it stands after the call, and the wallet balance it left behind."""

    bet: Bet
    balance: Money
    replayed: bool = False


# What one bet of a batch came to: its receipt, or its own refusal.
BetOutcome = BetReceipt | DomainError


class UncountedBets:
    """`BetMetrics` that counts nothing: the default where nobody watches (tests, tools)."""

    def placed(self, bet: Bet) -> None:
        pass

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        pass

    def settled(self, bet: Bet) -> None:
        pass


NO_BET_METRICS: BetMetrics = UncountedBets()
