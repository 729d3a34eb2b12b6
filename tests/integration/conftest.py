from __future__ import annotations

import pytest

from application.balances import GetBalances
from application.history import ListHistory
from application.house import HouseBook
from application.postings import AdjustBalance, CreditDeposit, DebitWallet, Transfer
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR
from tests.conftest import TEST_HOUSE_SHARDS

pytestmark = pytest.mark.integration


@pytest.fixture
def house():
    return HouseBook(TEST_HOUSE_SHARDS)


@pytest.fixture
def register(uow_factory, clock):
    return RegisterPlayer(uow_factory, clock)


@pytest.fixture
def credit(uow_factory, clock, ids, house):
    return CreditDeposit(uow_factory, clock, ids, house)


@pytest.fixture
def debit(uow_factory, clock, ids, house):
    return DebitWallet(uow_factory, clock, ids, house)


@pytest.fixture
def adjust(uow_factory, clock, ids, house):
    return AdjustBalance(uow_factory, clock, ids, house)


@pytest.fixture
def transfer(uow_factory, clock, ids):
    return Transfer(uow_factory, clock, ids)


@pytest.fixture
def balances(uow_factory):
    return GetBalances(uow_factory)


@pytest.fixture
def history(uow_factory):
    return ListHistory(uow_factory)


@pytest.fixture
def new_player(register, new_telegram_id):
    async def make(currencies=(XTR,)):
        registration = await register(
            RegisterPlayerCommand(new_telegram_id(), currencies=tuple(currencies))
        )
        return registration.player

    return make


@pytest.fixture(scope="session")
def seed_source():
    from adapters.seed_cipher import SecretsSeedSource

    return SecretsSeedSource()


@pytest.fixture
def place(uow_factory, clock, ids, house, seed_source):
    from application.betting import PlaceBet

    return PlaceBet(uow_factory, clock, ids, house, seed_source)


@pytest.fixture
def settle(uow_factory, clock, ids, house):
    from application.betting import SettleDiceBet

    return SettleDiceBet(uow_factory, clock, ids, house)


@pytest.fixture
def void(uow_factory, clock, ids, house):
    from application.betting import VoidBet

    return VoidBet(uow_factory, clock, ids, house)


@pytest.fixture
def fund_bankroll(uow_factory, clock, ids, unique_key):
    from application.bankroll import FundBankroll, FundBankrollCommand
    from domain.money import Money

    async def fund(amount: int = 10**9, currency=XTR):
        await FundBankroll(uow_factory, clock, ids)(
            FundBankrollCommand(Money(amount, currency), "tests", unique_key("fund"))
        )

    return fund


@pytest.fixture
def funded_player(new_player, credit, fund_bankroll, unique_key):
    """A player with `amount` XTR, in a casino whose bankroll can pay out."""
    from application.postings import CreditDepositCommand
    from domain.money import Money

    async def make(amount: int = 1000):
        await fund_bankroll()
        player = await new_player()
        await credit(CreditDepositCommand(player.id, Money(amount, XTR), unique_key("dep")))
        return player

    return make
