"""A player cancels their own withdrawal while nobody has approved it, on in-memory fakes: the
money comes back once, a repeat answers the same, someone else's is not found, one already
decided is refused naming its state. The race with an approval is tested on PostgreSQL
(tests/integration/test_withdrawal_cancel.py)."""

from __future__ import annotations

import uuid

import pytest

from application.staff import Actor
from application.withdrawals import ApproveWithdrawal, CancelWithdrawal, RejectWithdrawal
from application.withdrawals.queries import PendingWithdrawals
from domain.errors import NotFound
from domain.events import WithdrawalCancelled
from domain.money import XTR, Money
from domain.staff import AuditAction
from domain.withdrawals import IllegalWithdrawalTransition, PayoutSent, WithdrawalState
from tests.fake_money import FakePayoutGateway
from tests.unit.test_withdrawals_on_fakes import _pending, _wallet, bank  # noqa: F401 - fixture

STAFF = Actor("staff:finance")


async def test_a_cancel_returns_the_money_once_and_a_repeat_answers_the_same(bank):  # noqa: F811
    db, (clock, ids, house), player, request = bank
    asked = await request(player, Money(300, XTR), "@alice", uuid.uuid4())
    cancel = CancelWithdrawal(db, clock, ids, house)
    cancelled = await cancel(player, asked.id)
    assert cancelled.state is WithdrawalState.CANCELLED
    assert (cancelled.decided_by, cancelled.cancelled_at) == (f"player:{player}", clock.now())
    assert (_wallet(db, player), _pending(db)) == (1000, 0)
    assert await cancel(player, asked.id) == cancelled
    assert (_wallet(db, player), _pending(db)) == (1000, 0)
    (entry,) = [e for e in db.state.audit if e.action is AuditAction.WITHDRAWAL_CANCELLED]
    assert entry.actor == f"player:{player}"
    assert [type(e) for e in db.state.events if isinstance(e, WithdrawalCancelled)] == [
        WithdrawalCancelled
    ]
    assert await PendingWithdrawals(db)(player) == ()


async def test_another_players_withdrawal_is_not_found_whatever_its_state(bank):  # noqa: F811
    db, (clock, ids, house), player, request = bank
    asked = await request(player, Money(300, XTR), "@alice", uuid.uuid4())
    cancel = CancelWithdrawal(db, clock, ids, house)
    with pytest.raises(NotFound):
        await cancel(player + 1, asked.id)
    await cancel(player, asked.id)
    with pytest.raises(NotFound):
        await cancel(player + 1, asked.id)  # a repeat is not a way in either
    with pytest.raises(NotFound):
        await cancel(player, uuid.uuid4())


async def test_a_decided_withdrawal_cannot_be_cancelled(bank):  # noqa: F811
    db, (clock, ids, house), player, request = bank
    approved = await request(player, Money(300, XTR), "@alice", uuid.uuid4())
    gateway = FakePayoutGateway(PayoutSent("ref-1", completed=False))
    await ApproveWithdrawal(db, clock, ids, house, gateway)(approved.id, STAFF)
    rejected = await request(player, Money(200, XTR), "@alice", uuid.uuid4())
    await RejectWithdrawal(db, clock, ids, house)(rejected.id, "no", STAFF)
    cancel = CancelWithdrawal(db, clock, ids, house)
    for withdrawal, state in ((approved, "approved"), (rejected, "rejected")):
        with pytest.raises(IllegalWithdrawalTransition) as refused:
            await cancel(player, withdrawal.id)
        assert refused.value.source == state
    assert (_wallet(db, player), _pending(db)) == (700, 0)  # the approved 300 is on its way
    (pending,) = await PendingWithdrawals(db)(player)
    assert (pending.id, pending.state) == (approved.id, WithdrawalState.APPROVED)
