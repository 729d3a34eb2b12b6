"""Random operations against the real adapter, checked against a simple model after every
step: per-currency sums are zero, no forbidden negative balance, each balance equals the sum of
its legs, and every wallet holds what the model says. In a database of their own
(`fresh_database`): the checks after each of the ~800 steps read the machine's books, not every
row the suite wrote before it."""

from __future__ import annotations

import asyncio
import secrets

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
from sqlalchemy import text

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from adapters.postgres.engine import create_engine
from adapters.postgres.reconcile import reconcile
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from application.house import HouseBook
from application.postings import (
    AdjustBalance,
    AdjustBalanceCommand,
    CreditDeposit,
    CreditDepositCommand,
    DebitWallet,
    DebitWalletCommand,
)
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.errors import IdempotencyConflict, InsufficientFunds, NotFound
from domain.money import TON, XTR, Money
from tests.conftest import TEST_PERSONAL_DATA

CURRENCIES = (XTR, TON)
amounts = st.integers(min_value=1, max_value=1_000)


class LedgerMachine(RuleBasedStateMachine):
    players = Bundle("players")
    postings = Bundle("postings")

    def __init__(self, loop: asyncio.AbstractEventLoop, runtime: dict) -> None:
        super().__init__()
        self.loop = loop
        self.rt = runtime
        self.model: dict[tuple[int, str], int] = {}

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    @initialize(target=players)
    def first_player(self):
        return self._register()

    @rule(target=players)
    def another_player(self):
        return self._register()

    def _register(self) -> int:
        registration = self.run(
            self.rt["register"](
                RegisterPlayerCommand(secrets.randbelow(2**50) + 1, accept_terms=True)
            )
        )
        return registration.player.id

    @rule(target=postings, player=players, currency=st.sampled_from(CURRENCIES), amount=amounts)
    def deposit(self, player, currency, amount):
        command = CreditDepositCommand(player, Money(amount, currency), _key())
        result = self.run(self.rt["credit"](command))
        self._apply(player, currency.code, amount)
        assert result.balance.amount == self.model[(player, currency.code)]
        return ("credit", command, result.balance.amount)

    @rule(
        target=postings,
        player=players,
        currency=st.sampled_from(CURRENCIES),
        amount=st.integers(min_value=1, max_value=1_500),
    )
    def debit(self, player, currency, amount):
        command = DebitWalletCommand(player, Money(amount, currency), _key())
        have = self.model.get((player, currency.code))
        if have is None:
            with pytest.raises(NotFound):
                self.run(self.rt["debit"](command))
            return ("none", None, None)
        if have < amount:
            with pytest.raises(InsufficientFunds):
                self.run(self.rt["debit"](command))
            return ("none", None, None)
        result = self.run(self.rt["debit"](command))
        self._apply(player, currency.code, -amount)
        assert result.balance.amount == self.model[(player, currency.code)]
        return ("debit", command, result.balance.amount)

    @rule(
        player=players,
        currency=st.sampled_from(CURRENCIES),
        amount=st.integers(min_value=-1_500, max_value=1_500).filter(bool),
    )
    def adjust(self, player, currency, amount):
        command = AdjustBalanceCommand(player, Money(amount, currency), "test", "staff", _key())
        have = self.model.get((player, currency.code), 0)
        if have + amount < 0:
            with pytest.raises((InsufficientFunds, NotFound)):
                self.run(self.rt["adjust"](command))
            return
        result = self.run(self.rt["adjust"](command))
        self._apply(player, currency.code, amount)
        assert result.balance.amount == self.model[(player, currency.code)]

    @rule(posting=postings)
    def replay_moves_nothing(self, posting):
        kind, command, balance_then = posting
        if kind == "none":
            return
        result = self.run(self.rt[kind](command))
        assert result.replayed
        assert result.balance.amount == balance_then  # the first answer, not today's balance

    @rule(posting=consumes(postings), extra=amounts)
    def conflicting_replay_is_refused(self, posting, extra):
        kind, command, _ = posting
        if kind == "none":
            return
        changed = type(command)(
            command.player_id,
            Money(command.amount.amount + extra, command.amount.currency),
            command.idempotency_key,
        )
        with pytest.raises(IdempotencyConflict):
            self.run(self.rt[kind](changed))

    def _apply(self, player: int, code: str, delta: int) -> None:
        self.model[(player, code)] = self.model.get((player, code), 0) + delta

    @invariant()
    def books_are_consistent(self):
        async def check():
            async with self.rt["engine"].connect() as conn:
                problems = await reconcile(conn)
                await conn.rollback()
                rows = await conn.execute(
                    text(
                        "SELECT player_id, currency, balance FROM accounts "
                        "WHERE player_id = ANY(CAST(:ids AS bigint[]))"
                    ),
                    {"ids": sorted({p for p, _ in self.model})},
                )
                return problems, {(r.player_id, r.currency): r.balance for r in rows}

        problems, stored = self.run(check())
        assert problems == []
        assert {k: v for k, v in stored.items() if k in self.model} == self.model


def _key() -> str:
    return f"stateful-{secrets.token_hex(8)}"


@pytest.mark.integration
def test_ledger_matches_model_under_random_operations(fresh_database):
    loop = asyncio.new_event_loop()
    engine = create_engine(fresh_database, pool_size=5, max_overflow=5)
    try:
        clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(4)
        factory = loop.run_until_complete(
            start_unit_of_work_factory(engine, 4, SeedCipher(bytes(32)), TEST_PERSONAL_DATA)
        )
        runtime = {
            "engine": engine,
            "register": RegisterPlayer(factory, clock),
            "credit": CreditDeposit(factory, clock, ids, house),
            "debit": DebitWallet(factory, clock, ids, house),
            "adjust": AdjustBalance(factory, clock, ids, house),
        }
        run_state_machine_as_test(
            lambda: LedgerMachine(loop, runtime),
            settings=settings(
                max_examples=30,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
