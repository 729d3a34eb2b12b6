"""Four eyes per staff member and per player (issue 18) on in-memory fakes: adjustments add
up over the window, a split-up adjustment raises a staff_chain flag, a pending request's id
is reserved, and whoever adjusted a player's balance does not approve or pay that player's
withdrawal. The race between two requests is tested on PostgreSQL
(tests/integration/test_four_eyes.py)."""

from __future__ import annotations

import uuid

import pytest

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.risk import RiskReview
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalPaid,
    NoWithdrawalHolds,
    RequestWithdrawal,
)
from application.withdrawals.chain import StaffChain
from domain.adjustments import AdjustmentState, FourEyesPolicy, WindowTotals
from domain.errors import Forbidden, IdempotencyConflict
from domain.money import XTR, Money
from domain.risk import RiskFlagKind, RiskPolicy
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from domain.withdrawals import PayoutSent, WithdrawalRefused, WithdrawalState
from tests.fake_money import FakePayoutGateway
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

ALICE, BOB, CAROL = Actor("staff:alice"), Actor("staff:bob"), Actor("staff:carol")
POLICY = FourEyesPolicy({"XTR": 100})


@pytest.fixture
def world():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    return (
        db,
        clock,
        RequestAdjustment(db, clock, ids, house, POLICY),
        DecideAdjustment(db, clock, ids, house, POLICY),
    )


async def _player(db: FakeDatabase, clock: FakeClock, telegram_id: int) -> int:
    registered = await RegisterPlayer(db, clock)(
        RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=True)
    )
    return registered.player.id


def test_the_policy_adds_the_window_to_the_amount() -> None:
    assert not POLICY.needs_approval(Money(60, XTR), WindowTotals(staff=40, player=40))
    assert POLICY.needs_approval(Money(60, XTR), WindowTotals(staff=41))
    assert POLICY.needs_approval(Money(-60, XTR), WindowTotals(player=41))  # debits count too
    assert POLICY.split_up(Money(60, XTR), WindowTotals(staff=41))
    assert not POLICY.split_up(Money(101, XTR), WindowTotals())  # large alone: no pattern


async def test_small_adjustments_add_up_per_staff_member_and_flag_the_chain(world):
    db, clock, request, _decide = world
    player = await _player(db, clock, 1)
    posted = [await request(player, Money(25, XTR), "promo", ALICE, uuid.uuid4()) for _ in range(4)]
    assert all(o.request.state is AdjustmentState.APPROVED for o in posted)  # 100: at the limit
    fifth = await request(player, Money(25, XTR), "promo", ALICE, uuid.uuid4())
    assert (fifth.request.state, fifth.posting) == (AdjustmentState.PENDING, None)
    flags = [f for f in db.state.flags.values() if f.kind is RiskFlagKind.STAFF_CHAIN]
    assert [
        (f.player_id, f.evidence["staff"], f.evidence["staff_window_total"]) for f in flags
    ] == [(player, ALICE.label, 100)]
    # Another player, same staff member: the staff member's sum still counts.
    other = await _player(db, clock, 2)
    assert (await request(other, Money(1, XTR), "promo", ALICE, uuid.uuid4())).posting is None
    # Once the window has passed, small ones post at once again.
    clock.advance(hours=24, seconds=1)
    assert (await request(other, Money(1, XTR), "promo", ALICE, uuid.uuid4())).posting is not None


async def test_a_players_received_adjustments_add_up_across_staff(world):
    db, clock, request, decide = world
    player = await _player(db, clock, 1)
    assert (await request(player, Money(60, XTR), "promo", ALICE, uuid.uuid4())).posting
    waiting = await request(player, Money(60, XTR), "promo", BOB, uuid.uuid4())
    assert waiting.request.state is AdjustmentState.PENDING
    # A rejected request moved nothing and stops counting.
    await decide(waiting.request.id, False, CAROL)
    assert (await request(player, Money(40, XTR), "promo", BOB, uuid.uuid4())).posting


async def test_a_pending_requests_id_cannot_be_taken_by_a_small_one(world):
    db, clock, request, decide = world
    player = await _player(db, clock, 1)
    big = await request(player, Money(500, XTR), "goodwill", ALICE, uuid.uuid4())
    with pytest.raises(IdempotencyConflict):
        await request(player, Money(1, XTR), "tiny", BOB, big.request.id)
    approved = await decide(big.request.id, True, BOB)
    assert approved.posting is not None
    assert approved.posting.balance == Money(500, XTR)


async def test_a_small_ones_id_cannot_be_taken_and_a_retry_replays(world):
    db, clock, request, _ = world
    player = await _player(db, clock, 1)
    key = uuid.uuid4()
    first = await request(player, Money(10, XTR), "promo", ALICE, key)
    again = await request(player, Money(10, XTR), "promo", ALICE, key)
    assert again.request == first.request
    assert again.posting is not None
    assert first.posting is not None
    assert again.posting.transaction.id == first.posting.transaction.id
    assert again.posting.balance == Money(10, XTR)
    with pytest.raises(IdempotencyConflict):
        await request(player, Money(500, XTR), "goodwill", ALICE, key)


WITHDRAWALS = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
)


@pytest.fixture
def payouts():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    return (
        db,
        clock,
        RequestAdjustment(db, clock, ids, house, POLICY),
        RequestWithdrawal(db, clock, ids, house, WITHDRAWALS, NoWithdrawalHolds()),
        ApproveWithdrawal(
            db, clock, ids, house, FakePayoutGateway(PayoutSent("ref-1", completed=False))
        ),
        # As the container wires it: the configured window, the configured risk rules.
        MarkWithdrawalPaid(db, clock, ids, house, StaffChain(POLICY, RiskReview(RiskPolicy()))),
        CreditDeposit(db, clock, ids, house),
    )


def _chain_flags(db: FakeDatabase) -> list[dict[str, object]]:
    return [dict(f.evidence) for f in db.state.flags.values() if f.kind is RiskFlagKind.STAFF_CHAIN]


async def test_whoever_credited_a_player_cannot_approve_their_withdrawal(payouts):
    db, clock, adjust, withdraw, approve, _, deposit = payouts
    player = await _player(db, clock, 1)
    await deposit(CreditDepositCommand(player, Money(1000, XTR), "d"))
    await adjust(player, Money(50, XTR), "goodwill", ALICE, uuid.uuid4())
    asked = await withdraw(player, Money(300, XTR), "dest-1", uuid.uuid4())
    with pytest.raises(Forbidden, match="another finance user must approve"):
        await approve(asked.id, ALICE)
    assert db.state.withdrawals[asked.id].state is WithdrawalState.REQUESTED
    (evidence,) = _chain_flags(db)  # committed although the approval was not
    assert (evidence["staff"], evidence["step"], evidence["withdrawal_id"]) == (
        ALICE.label,
        "approve",
        str(asked.id),
    )
    # The flag holds the withdrawal for review, for anyone.
    with pytest.raises(WithdrawalRefused, match="risk flags"):
        await approve(asked.id, BOB)


async def test_whoever_approved_a_players_credit_cannot_mark_their_withdrawal_paid(payouts):
    db, clock, adjust, withdraw, approve, mark_paid, deposit = payouts
    player = await _player(db, clock, 1)
    await deposit(CreditDepositCommand(player, Money(1000, XTR), "d"))
    asked = await withdraw(player, Money(300, XTR), "dest-1", uuid.uuid4())
    approved = await approve(asked.id, BOB)
    assert approved.state is WithdrawalState.APPROVED
    big = await adjust(player, Money(500, XTR), "goodwill", ALICE, uuid.uuid4())
    decide = DecideAdjustment(db, clock, SequentialIds(), HouseBook(4), POLICY)
    await decide(big.request.id, True, CAROL)
    with pytest.raises(Forbidden, match="another finance user must mark paid"):
        await mark_paid(asked.id, "bank-1", CAROL)  # approved the credit
    assert db.state.withdrawals[asked.id].state is WithdrawalState.APPROVED
    assert [e["staff"] for e in _chain_flags(db)] == [CAROL.label]
    paid = await mark_paid(asked.id, "bank-1", BOB)  # not in the chain
    assert paid.state is WithdrawalState.PAID
    # Outside the window the chain is over.
    clock.advance(hours=25)
    other = await withdraw(player, Money(100, XTR), "dest-1", uuid.uuid4())
    db.state.flags.clear()
    assert (await approve(other.id, ALICE)).state is WithdrawalState.APPROVED


async def test_a_withdrawal_above_the_threshold_needs_a_second_approver(payouts):
    db, clock, _, withdraw, _, _, deposit = payouts
    player = await _player(db, clock, 1)
    await deposit(CreditDepositCommand(player, Money(1000, XTR), "d"))
    gateway = FakePayoutGateway(PayoutSent("ref-1", completed=False))
    approve = ApproveWithdrawal(
        db,
        clock,
        SequentialIds(),
        HouseBook(4),
        gateway,
        second=SecondApprovalPolicy({"XTR": 200}),
    )
    large = await withdraw(player, Money(300, XTR), "dest-1", uuid.uuid4())
    half = await approve(large.id, ALICE)
    assert (half.state, half.first_approved_by, gateway.sent) == (
        WithdrawalState.REQUESTED,
        ALICE.label,
        [],
    )
    assert await approve(large.id, ALICE) == half  # a repeat: still waiting for someone else
    done = await approve(large.id, BOB)
    assert (done.state, done.first_approved_by, done.decided_by) == (
        WithdrawalState.APPROVED,
        ALICE.label,
        BOB.label,
    )
    assert gateway.sent == [large.id]
    with pytest.raises(Forbidden):  # the domain's own refusal, whatever the caller does
        half.approve(ALICE.label, clock.now(), uuid.uuid4())
    # At the threshold, one approval is enough.
    small = await withdraw(player, Money(200, XTR), "dest-1", uuid.uuid4())
    assert (await approve(small.id, ALICE)).state is WithdrawalState.APPROVED


async def test_an_approval_counts_from_when_it_was_given(payouts):
    db, clock, adjust, withdraw, approve, _, deposit = payouts
    player = await _player(db, clock, 1)
    await deposit(CreditDepositCommand(player, Money(1000, XTR), "d"))
    big = await adjust(player, Money(500, XTR), "goodwill", ALICE, uuid.uuid4())
    clock.advance(hours=30)  # asked for long ago, approved now: the chain starts now
    await DecideAdjustment(db, clock, SequentialIds(), HouseBook(4), POLICY)(
        big.request.id, True, CAROL
    )
    asked = await withdraw(player, Money(300, XTR), "dest-1", uuid.uuid4())
    with pytest.raises(Forbidden):
        await approve(asked.id, CAROL)
