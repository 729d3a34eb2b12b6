"""Responsible gambling on in-memory fakes (tests/fake_money.py): limits with their cooling-off,
a timeout and the reality check, and the guard refusing bets and deposits through the bet and
deposit use cases, without a database. The per-player lock under concurrency and the usage SQL
are tested on PostgreSQL (tests/integration/test_responsible*.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import PlaceBet, PlaceBetCommand
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from domain.money import XTR, Money
from domain.responsible import (
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    TimeoutPeriod,
)
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


class Seeds:
    def server_seed(self) -> str:
        return "cd" * 32

    def client_seed(self) -> str:
        return "fakes"


@pytest.fixture
async def casino():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(9, currencies=(XTR,), accept_terms=True)
        )
    ).player
    credit = CreditDeposit(db, clock, ids, house)
    await credit(CreditDepositCommand(player.id, Money(1000, XTR), "first"))
    await FundBankroll(db, clock, ids, house)(FundBankrollCommand(Money(10**6, XTR), "t", "b"))
    place = PlaceBet(db, clock, ids, house, Seeds())
    return db, clock, player.id, credit, place


def _bet(player_id: int, stake: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "tails"})


async def test_a_wager_limit_refuses_the_bet_that_would_pass_it_and_nothing_is_written(casino):
    db, clock, player, _, place = casino
    await SetLimit(db, clock)(player, LimitKind.WAGER, LimitPeriod.DAY, Money(25, XTR))
    await place(_bet(player, 20))
    bets = dict(db.state.bets)
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        await place(_bet(player, 10))
    assert refused.value.rule == "wager_limit_24h"
    assert refused.value.remaining == Money(5, XTR)
    assert db.state.bets == bets
    await place(_bet(player, 5))  # what is left of the limit still goes through


async def test_a_raise_waits_for_its_cooling_off_and_the_players_confirmation(casino):
    db, clock, player, credit, _ = casino
    set_limit = SetLimit(db, clock)
    await set_limit(player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(100, XTR))
    raised = await set_limit(player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(5000, XTR))
    assert not raised.applied
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        await credit(CreditDepositCommand(player, Money(200, XTR), "second"))
    assert refused.value.rule == "deposit_limit_24h"
    confirm = ConfirmLimitIncrease(db, clock)
    with pytest.raises(ResponsibleGamblingRefusal, match="cooling"):
        await confirm(player, LimitKind.DEPOSIT, LimitPeriod.DAY, XTR)
    clock.advance(hours=24, seconds=1)
    await confirm(player, LimitKind.DEPOSIT, LimitPeriod.DAY, XTR)
    assert (await credit(CreditDepositCommand(player, Money(200, XTR), "second"))).balance == (
        Money(1200, XTR)
    )


async def test_a_timeout_closes_bets_and_deposits_until_it_ends(casino):
    db, clock, player, credit, place = casino
    await StartTimeout(db, clock)(player, TimeoutPeriod("24h"))
    with pytest.raises(ResponsibleGamblingRefusal, match="break"):
        await place(_bet(player, 10))
    with pytest.raises(ResponsibleGamblingRefusal):
        await credit(CreditDepositCommand(player, Money(10, XTR), "during"))
    clock.advance(hours=24, seconds=1)
    await place(_bet(player, 10))


async def test_a_due_reality_check_stops_bets_until_it_is_acknowledged(casino):
    db, clock, player, _, place = casino
    await SetRealityCheck(db, clock)(player, 15)
    await place(_bet(player, 10))
    clock.advance(minutes=16)
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        await place(_bet(player, 10))
    assert refused.value.rule == "reality_check"
    assert refused.value.session_time is not None
    assert refused.value.session_time >= timedelta(minutes=16)
    await AcknowledgeRealityCheck(db, clock)(player)
    await place(_bet(player, 10))
