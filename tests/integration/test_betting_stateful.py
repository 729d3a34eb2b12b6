"""Random place / settle / void / replay sequences against the real PostgreSQL, checked after
every step against a model and the ledger's invariants (zero sums, no negative player
balance, balance = sum of legs, bets in play = open stakes). In a database of their own
(`fresh_database`): the checks after each of the ~750 steps read the machine's books, not every
row the suite wrote before it."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from adapters.postgres.engine import create_engine
from adapters.postgres.reconcile import reconcile
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.balances import GetBalances
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.bets import BetState
from domain.errors import IllegalTransition, InsufficientFunds
from domain.games.catalog import GAMES, payout_for
from domain.money import XTR, Money
from tests.conftest import TEST_PERSONAL_DATA

TELEGRAM_BETS = [
    ("tg_dice", {"bet": "even"}),
    ("tg_dice", {"bet": "face", "face": "3"}),
    ("tg_darts", {"bet": "hit"}),
    ("tg_basketball", {"bet": "miss"}),
    ("tg_slot", {}),
]
FAIR_BETS = [
    ("coin", {"side": "heads"}),
    ("dice", {"direction": "under", "target": "30"}),
    ("roulette", {"bet": "straight", "number": "7"}),
    ("limbo", {"target": "3.5"}),
]
_messages = iter(range(secrets.randbelow(2**40), 2**62))


class BettingMachine(RuleBasedStateMachine):
    open_bets = Bundle("open_bets")
    closed_bets = Bundle("closed_bets")

    def __init__(self, loop: asyncio.AbstractEventLoop, rt: dict) -> None:
        super().__init__()
        self.loop, self.rt = loop, rt
        self.balance = 0
        self.player_id = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @initialize()
    def a_player_with_money(self) -> None:
        registration = self.run(
            self.rt["register"](
                RegisterPlayerCommand(
                    secrets.randbelow(2**40) + 1, currencies=(XTR,), accept_terms=True
                )
            )
        )
        self.player_id = registration.player.id
        self.run(
            self.rt["credit"](
                CreditDepositCommand(
                    self.player_id, Money(2_000, XTR), f"sm-{secrets.token_hex(8)}"
                )
            )
        )
        self.balance = 2_000

    @rule(target=open_bets, choice=st.sampled_from(TELEGRAM_BETS), stake=st.integers(1, 900))
    def place_telegram_bet(self, choice, stake):
        game, params = choice
        command = PlaceBetCommand(self.player_id, uuid.uuid4(), game, Money(stake, XTR), params)
        try:
            receipt = self.run(self.rt["place"](command))
        except InsufficientFunds:
            assert stake > self.balance
            return None
        assert stake <= self.balance
        assert receipt.bet.state is BetState.PLACED
        self.balance -= stake
        return command

    @rule(choice=st.sampled_from(FAIR_BETS), stake=st.integers(1, 900))
    def play_provably_fair(self, choice, stake):
        game, params = choice
        command = PlaceBetCommand(self.player_id, uuid.uuid4(), game, Money(stake, XTR), params)
        try:
            receipt = self.run(self.rt["place"](command))
        except InsufficientFunds:
            assert stake > self.balance
            return
        bet = receipt.bet
        assert bet.state in (BetState.WON, BetState.LOST)
        expected = GAMES[game].multiplier(bet.selection, bet.outcome, bet.house_edge)
        assert bet.payout == payout_for(stake, expected)
        self.balance += bet.payout - stake

    @rule(command=open_bets)
    def replay_a_placement(self, command):
        if command is None:
            return
        receipt = self.run(self.rt["place"](command))
        assert receipt.replayed

    @rule(target=closed_bets, command=consumes(open_bets), value=st.integers(1, 64))
    def settle(self, command, value):
        if command is None:
            return None
        game = GAMES[command.game]
        value = 1 + (value - 1) % game.faces  # type: ignore[attr-defined]
        settle = SettleDiceBetCommand(command.bet_id, 1, next(_messages), value)
        receipt = self.run(self.rt["settle"](settle))
        multiplier = game.multiplier(
            game.parse(command.params),
            value,
            Fraction(3, 100) if game.uses_house_edge else Fraction(0),
        )
        assert receipt.bet.payout == payout_for(command.stake.amount, multiplier)
        self.balance += receipt.bet.payout
        return settle

    @rule(target=closed_bets, command=consumes(open_bets))
    def void(self, command):
        if command is None:
            return
        receipt = self.run(self.rt["void"](VoidBetCommand(command.bet_id, "stateful test")))
        assert receipt.bet.state is BetState.VOIDED
        self.balance += command.stake.amount
        return

    @rule(settled=closed_bets, value=st.integers(1, 5))
    def settling_again_is_refused_or_replayed(self, settled, value):
        if settled is None:
            return
        repeat = self.run(self.rt["settle"](settled))
        assert repeat.replayed
        try:
            self.run(
                self.rt["settle"](SettleDiceBetCommand(settled.bet_id, 1, next(_messages), value))
            )
        except IllegalTransition:
            return
        raise AssertionError("a settled bet settled again")

    @invariant()
    def books_balance_and_match_the_model(self):
        if not self.player_id:
            return

        async def check():
            async with self.rt["engine"].connect() as conn:
                problems = await reconcile(conn)
            return problems, await self.rt["balances"](self.player_id)

        problems, balances = self.run(check())
        assert problems == []
        assert balances == (Money(self.balance, XTR),)


@pytest.mark.integration
def test_betting_keeps_the_books_under_random_operations(fresh_database):
    loop = asyncio.new_event_loop()
    engine = create_engine(fresh_database, pool_size=5, max_overflow=5)
    try:
        clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(4)
        factory = loop.run_until_complete(
            start_unit_of_work_factory(
                engine, 4, SeedCipher(secrets.token_bytes(32)), TEST_PERSONAL_DATA
            )
        )
        loop.run_until_complete(
            FundBankroll(factory, clock, ids, house)(
                FundBankrollCommand(Money(10**9, XTR), "tests", f"sm-{secrets.token_hex(8)}")
            )
        )
        runtime = {
            "engine": engine,
            "register": RegisterPlayer(factory, clock),
            "credit": CreditDeposit(factory, clock, ids, house),
            "place": PlaceBet(factory, clock, ids, house, SecretsSeedSource()),
            "settle": SettleDiceBet(factory, clock, ids, house),
            "void": VoidBet(factory, clock, ids, house),
            "balances": GetBalances(factory),
        }
        run_state_machine_as_test(
            lambda: BettingMachine(loop, runtime),
            settings=settings(
                max_examples=25,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
