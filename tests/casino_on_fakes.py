"""A casino on the in-memory fakes for the use-case tests: the database, the clock, the ids,
the house book and a bet placement with fixed seeds, with the few steps most tests start from
(a funded player, a bet). One place for them, so each test file does not grow its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import BetReceipt, PlaceBet, PlaceBetCommand
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from domain.money import XTR, Money
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


class FixedSeeds:
    """The same server seed every time: with it a coin on heads wins at nonce 0 and loses at
    nonce 1 (the outcomes are the fairness scheme's; the tests only need them fixed)."""

    def server_seed(self) -> str:
        return "ab" * 32

    def client_seed(self) -> str:
        return "fakes"


@dataclass
class Casino:
    db: FakeDatabase = field(default_factory=FakeDatabase)
    clock: FakeClock = field(default_factory=FakeClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    house: HouseBook = field(default_factory=lambda: HouseBook(4))
    seeds: FixedSeeds = field(default_factory=FixedSeeds)
    risk: RiskReview = DEFAULT_RISK_REVIEW  # the rules a bet's settlement runs

    async def player(self, telegram_user_id: int, deposit: int = 0, **details: str) -> int:
        """A registered player with an XTR wallet and the terms accepted, and `deposit` in it."""
        command = RegisterPlayerCommand(
            telegram_user_id, currencies=(XTR,), accept_terms=True, **details
        )
        player = (await RegisterPlayer(self.db, self.clock)(command)).player
        if deposit:
            await self.deposit(player.id, deposit)
        return player.id

    async def deposit(self, player_id: int, amount: int, key: str | None = None) -> None:
        await CreditDeposit(self.db, self.clock, self.ids, self.house)(
            CreditDepositCommand(player_id, Money(amount, XTR), key or f"dep-{uuid.uuid4()}")
        )

    async def bankroll(self, amount: int = 10**6) -> None:
        await FundBankroll(self.db, self.clock, self.ids, self.house)(
            FundBankrollCommand(Money(amount, XTR), "tests", f"bankroll-{uuid.uuid4()}")
        )

    def place_bet(self) -> PlaceBet:
        return PlaceBet(self.db, self.clock, self.ids, self.house, self.seeds, risk=self.risk)

    async def coin(self, player_id: int, stake: int = 10) -> BetReceipt:
        """A coin flip on heads, settled at once."""
        command = PlaceBetCommand(
            player_id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"}
        )
        return await self.place_bet()(command)
