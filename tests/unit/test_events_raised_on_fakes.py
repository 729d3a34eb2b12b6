"""What each use case raises, on fakes: the events are the use case's own (`uow.raise_events`),
so they can be checked without a database. The fake unit of work keeps them in
`db.state.events` when it commits, and drops them when it does not. Their outbox rows and JSON
are tested in test_events.py and, on PostgreSQL, in tests/integration/test_outbox.py."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

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
from application.player_admin import BlockPlayer, UnblockPlayer
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    NoWithdrawalHolds,
    RejectWithdrawal,
    RequestWithdrawal,
)
from domain.accounts import AccountKind
from domain.errors import InsufficientFunds
from domain.events import (
    BetPlaced,
    BetPlayed,
    BetSettled,
    BetVoided,
    DomainEvent,
    PlayerBlocked,
    PlayerUnblocked,
    TransactionPosted,
    WithdrawalApproved,
    WithdrawalPaid,
    WithdrawalRejected,
    WithdrawalRequested,
    bet_posted,
)
from domain.money import XTR, Money
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutSent
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

STAFF = Actor("staff:finance")


class Seeds:
    def server_seed(self) -> str:
        return "ab" * 32

    def client_seed(self) -> str:
        return "fakes"


class Paid:
    async def send(self, withdrawal):
        return PayoutSent("ref-1", completed=True)


@pytest.fixture
async def casino():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
        )
    ).player
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player.id, Money(1000, XTR), "dep-1")
    )
    await FundBankroll(db, clock, ids, house)(
        FundBankrollCommand(Money(10**6, XTR), "tests", "bankroll-1")
    )
    return db, (clock, ids, house), player.id


def _since(db: FakeDatabase, mark: int) -> list[DomainEvent]:
    return db.state.events[mark:]


def _kinds(events: list[DomainEvent]) -> list[type]:
    return [type(e) for e in events]


async def test_a_deposit_raises_its_posting_with_the_players_balance(casino):
    db, (clock, ids, house), player = casino
    mark = len(db.state.events)
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player, Money(50, XTR), "dep-2")
    )
    [event] = _since(db, mark)
    assert isinstance(event, TransactionPosted)
    wallet = next(leg for leg in event.transaction.legs if leg.player_id == player)
    assert (wallet.account_kind, wallet.amount, wallet.balance_after) == (
        AccountKind.PLAYER_WALLET,
        Money(50, XTR),
        1050,
    )
    # A replay moved nothing and raises nothing.
    mark = len(db.state.events)
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player, Money(50, XTR), "dep-2")
    )
    assert _since(db, mark) == []


async def test_a_dice_bet_raises_placed_then_settled_or_voided(casino):
    db, (clock, ids, house), player = casino
    place = PlaceBet(db, clock, ids, house, Seeds())
    mark = len(db.state.events)
    bet_id = uuid.uuid4()
    receipt = await place(
        PlaceBetCommand(player, bet_id, "tg_dice", Money(10, XTR), {"bet": "high"})
    )
    assert _kinds(_since(db, mark)) == [BetPlaced, TransactionPosted]
    placed = _since(db, mark)[0]
    assert isinstance(placed, BetPlaced)
    assert placed.bet == receipt.bet

    mark = len(db.state.events)
    settled = await SettleDiceBet(db, clock, ids, house)(SettleDiceBetCommand(bet_id, 1, 2, 6))
    assert _kinds(_since(db, mark)) == [TransactionPosted, BetSettled]
    assert _since(db, mark)[1] == BetSettled(settled.bet)
    mark = len(db.state.events)
    await SettleDiceBet(db, clock, ids, house)(SettleDiceBetCommand(bet_id, 1, 2, 6))
    assert _since(db, mark) == []  # a repeat of the throw

    other = await place(
        PlaceBetCommand(player, uuid.uuid4(), "tg_dice", Money(10, XTR), {"bet": "high"})
    )
    mark = len(db.state.events)
    voided = await VoidBet(db, clock, ids, house)(VoidBetCommand(other.bet.id, "no dice"))
    assert _kinds(_since(db, mark)) == [TransactionPosted, BetVoided]
    assert _since(db, mark)[1] == BetVoided(voided.bet)


async def test_a_provably_fair_bet_played_in_one_transaction_raises_one_event(casino):
    db, (clock, ids, house), player = casino
    mark = len(db.state.events)
    receipt = await PlaceBet(db, clock, ids, house, Seeds())(
        PlaceBetCommand(player, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    events = _since(db, mark)
    # Decided on the snapshot road, whose funds check comes before the write: the stake and
    # the payout are one transaction (`Bet.instant_legs`), and the bet one `BetPlayed` with
    # that transaction, instead of BetPlaced, BetSettled and TransactionPosted.
    assert _kinds(events) == [BetPlayed]
    played = events[0]
    assert played.bet == receipt.bet
    bet = played.bet
    assert played.transaction.id == bet.placed_transaction_id == bet.settlement_transaction_id
    [leg] = played.transaction.legs  # the player's side: the wallet, net
    assert (leg.player_id, leg.amount.amount) == (player, (bet.payout or 0) - 10)
    assert leg.balance_after == receipt.balance.amount


async def test_a_bet_in_two_transactions_keeps_an_event_a_step(casino):
    # The rule itself (`bet_posted`): BetPlayed only for a bet posted at once (one
    # transaction); a bet whose stake and settlement are two (the locked road, or a bet that
    # pays its stake back) raises its steps and each transaction that moved money, as
    # before, and a replayed transaction raises nothing.
    db, (clock, ids, house), player = casino
    mark = len(db.state.events)
    await PlaceBet(db, clock, ids, house, Seeds())(
        PlaceBetCommand(player, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    [played] = _since(db, mark)
    assert isinstance(played, BetPlayed)
    at_once, stake = played.bet, played.transaction
    assert bet_posted(at_once, [stake]) == [played]
    two = replace(at_once, settlement_transaction_id=ids.new_id())
    settlement = replace(stake, id=two.settlement_transaction_id, replayed=True)
    assert not two.posted_at_once
    assert bet_posted(two, [stake, settlement]) == [
        BetPlaced(two),
        BetSettled(two),
        TransactionPosted(stake),
    ]
    assert bet_posted(at_once, [replace(stake, replayed=True)]) == [
        BetPlaced(at_once),
        BetSettled(at_once),
    ]


async def test_a_refused_bet_raises_nothing(casino):
    db, (clock, ids, house), player = casino
    mark = len(db.state.events)
    with pytest.raises(InsufficientFunds):
        await PlaceBet(db, clock, ids, house, Seeds())(
            PlaceBetCommand(player, uuid.uuid4(), "coin", Money(5000, XTR), {"side": "heads"})
        )
    assert _since(db, mark) == []


async def test_each_withdrawal_step_raises_its_event(casino):
    db, (clock, ids, house), player = casino
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
    )
    request = RequestWithdrawal(db, clock, ids, house, policy, NoWithdrawalHolds())
    mark = len(db.state.events)
    asked = await request(player, Money(300, XTR), "dest-1", uuid.uuid4())
    assert _kinds(_since(db, mark)) == [TransactionPosted, WithdrawalRequested]

    mark = len(db.state.events)
    paid = await ApproveWithdrawal(db, clock, ids, house, Paid())(asked.id, STAFF)
    events = _since(db, mark)
    assert _kinds(events) == [
        TransactionPosted,
        WithdrawalApproved,
        TransactionPosted,
        WithdrawalPaid,
    ]
    assert events[-1] == WithdrawalPaid(paid)

    other = await request(player, Money(100, XTR), "dest-1", uuid.uuid4())
    mark = len(db.state.events)
    await RejectWithdrawal(db, clock, ids, house)(other.id, "looks wrong", STAFF)
    assert _kinds(_since(db, mark)) == [TransactionPosted, WithdrawalRejected]


async def test_a_block_and_its_lifting_raise_their_events(casino):
    db, (clock, _, _), player = casino
    mark = len(db.state.events)
    await BlockPlayer(db, clock)(player, "chargebacks", STAFF)
    await UnblockPlayer(db, clock)(player, "resolved", STAFF)
    assert _since(db, mark) == [
        PlayerBlocked(player, clock.now()),
        PlayerUnblocked(player, clock.now()),
    ]


async def test_a_unit_of_work_left_without_commit_keeps_no_event(casino):
    db, _, player = casino
    mark = len(db.state.events)
    async with db() as uow:
        uow.raise_events(PlayerBlocked(player, FakeClock().now()))
    assert _since(db, mark) == []
