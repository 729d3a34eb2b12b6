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
