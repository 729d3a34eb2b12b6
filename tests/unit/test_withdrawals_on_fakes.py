"""The withdrawal use cases on in-memory fakes (tests/fake_money.py): request, approve with a
gateway, reject, mark paid or failed, and the standing's freeze, without a database. The races,
the risk holds and the tables' refusals are tested on PostgreSQL
(tests/integration/test_withdrawals.py)."""

from __future__ import annotations

import uuid

import pytest

from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    NoWithdrawalHolds,
    RejectWithdrawal,
    RequestWithdrawal,
)
from domain.accounts import AccountKind
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.standing import WithdrawalFrozen
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutDeclined, PayoutSent, WithdrawalRefused, WithdrawalState
from tests.fake_money import FakePayoutGateway
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

STAFF = Actor("staff:finance")
# No wagering requirement and no KYC step below 10,000: the rules these tests are not about.
POLICY = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
)


@pytest.fixture
async def bank():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
        )
    ).player
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player.id, Money(1000, XTR), "d")
    )
    request = RequestWithdrawal(db, clock, ids, house, POLICY, NoWithdrawalHolds())
    return db, (clock, ids, house), player.id, request


def _wallet(db, player_id: int) -> int:
    (wallet,) = [a for a in db.state.accounts.values() if a.player_id == player_id]
    return wallet.balance


def _pending(db) -> int:
    return sum(
        a.balance for a in db.state.accounts.values() if a.kind is AccountKind.WITHDRAWALS_PENDING
    )


async def test_a_request_holds_the_money_and_a_repeat_returns_it(bank):
    db, _, player, request = bank
    request_id = uuid.uuid4()
    first = await request(player, Money(300, XTR), "dest-1", request_id)
    assert first.state is WithdrawalState.REQUESTED
    assert (_wallet(db, player), _pending(db)) == (700, 300)
    assert await request(player, Money(300, XTR), "dest-1", request_id) == first
    assert _wallet(db, player) == 700
    with pytest.raises(WithdrawalRefused):
        await request(player, Money(5, XTR), "dest-1", uuid.uuid4())  # under the minimum


async def test_an_approval_the_gateway_completes_pays_it(bank):
    db, (clock, ids, house), player, request = bank
    asked = await request(player, Money(300, XTR), "dest-1", uuid.uuid4())
    gateway = FakePayoutGateway(PayoutSent("ref-1", completed=True))
    paid = await ApproveWithdrawal(db, clock, ids, house, gateway)(asked.id, STAFF)
    assert paid.state is WithdrawalState.PAID
    assert gateway.sent == [asked.id]
    assert (_wallet(db, player), _pending(db)) == (700, 0)


async def test_a_declined_payout_and_a_rejection_return_the_money(bank):
    db, (clock, ids, house), player, request = bank
    asked = await request(player, Money(300, XTR), "dest-1", uuid.uuid4())
    declined = await ApproveWithdrawal(
        db, clock, ids, house, FakePayoutGateway(PayoutDeclined("no"))
    )(asked.id, STAFF)
    assert declined.state is WithdrawalState.FAILED
    other = await request(player, Money(200, XTR), "dest-1", uuid.uuid4())
    rejected = await RejectWithdrawal(db, clock, ids, house)(other.id, "looks wrong", STAFF)
    assert rejected.state is WithdrawalState.REJECTED
    assert (_wallet(db, player), _pending(db)) == (1000, 0)


async def test_a_blocked_players_withdrawals_are_frozen_until_the_block_is_lifted(bank):
    db, (clock, ids, house), player, request = bank
    asked = await request(player, Money(300, XTR), "dest-1", uuid.uuid4())
    gateway = FakePayoutGateway(PayoutSent("ref-1", completed=False))
    approve = ApproveWithdrawal(db, clock, ids, house, gateway)
    db.state.players[player].status = PlayerStatus.BLOCKED
    # The block does not stop a request: it holds the money and waits, frozen, like this one.
    later = await request(player, Money(100, XTR), "dest-1", uuid.uuid4())
    assert later.state is WithdrawalState.REQUESTED
    with pytest.raises(WithdrawalFrozen):
        await approve(later.id, STAFF)
    await RejectWithdrawal(db, clock, ids, house)(later.id, "blocked", STAFF)
    with pytest.raises(WithdrawalFrozen):
        await approve(asked.id, STAFF)
    assert gateway.sent == []
    assert db.state.withdrawals[asked.id].state is WithdrawalState.REQUESTED

    db.state.players[player].status = PlayerStatus.ACTIVE
    approved = await approve(asked.id, STAFF)
    assert approved.state is WithdrawalState.APPROVED  # sent, not yet known to have arrived
    db.state.players[player].status = PlayerStatus.BLOCKED
    with pytest.raises(WithdrawalFrozen):
        await MarkWithdrawalPaid(db, clock, ids, house)(asked.id, "bank-1", STAFF)
    # Returning the money stays possible while the block stands.
    failed = await MarkWithdrawalFailed(db, clock, ids, house)(asked.id, "bounced", STAFF)
    assert failed.state is WithdrawalState.FAILED
    assert (_wallet(db, player), _pending(db)) == (1000, 0)
