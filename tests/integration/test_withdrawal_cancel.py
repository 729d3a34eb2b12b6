"""A player's cancel on the real database: the money comes back once, the audit log and the
outbox say so, the queue shows it, the table refuses a cancel it did not make, and a cancel
racing a staff approval lets exactly one win (the books reconcile after every test)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.ports import AuditQuery
from application.withdrawals import CancelWithdrawal
from application.withdrawals.queries import PendingWithdrawals
from domain.errors import IllegalTransition, NotFound
from domain.staff import AuditAction
from domain.withdrawals import Withdrawal, WithdrawalState
from tests.conftest import race
from tests.integration.outbox_rows import rows_of_aggregate
from tests.integration.test_withdrawals import (  # noqa: F401 - fixtures
    DESTINATION,
    FINANCE,
    _decision_count,
    _wallet,
    fake_clock,
    holds,
    payouts,
    player,
    wd,
    xtr,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def cancel(uow_factory, clock, ids, house):
    return CancelWithdrawal(uow_factory, clock, ids, house)


async def test_a_cancel_returns_the_money_once_audited_and_announced(
    wd,  # noqa: F811 - the fixture imported above
    cancel,
    player,  # noqa: F811
    balances,
    engine,
    uow_factory,
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    assert [x.id for x in await PendingWithdrawals(uow_factory)(p.id)] == [w.id]
    results = await race(2, lambda i: cancel(p.id, w.id))  # a double tap
    assert {r.state for r in results} == {WithdrawalState.CANCELLED}, results
    assert len({r.decision_transaction_id for r in results}) == 1
    assert await _wallet(balances, p.id) == 1_000
    assert await _decision_count(engine, w.id) == 2  # request + one cancel
    stored = await wd.get(w.id)
    assert (stored.decided_by, stored.cancelled_at) == (f"player:{p.id}", results[0].cancelled_at)
    assert await PendingWithdrawals(uow_factory)(p.id) == ()
    cancelled = (await wd.listing(WithdrawalState.CANCELLED, None, 100)).withdrawals
    assert w.id in {x.id for x in cancelled}
    async with uow_factory() as uow:
        entries = await uow.audit.search(
            AuditQuery(subject=f"player:{p.id}", action=AuditAction.WITHDRAWAL_CANCELLED.value)
        )
    assert [(e.actor, e.before, (e.after or {})["state"]) for e in entries] == [
        (f"player:{p.id}", {"state": "requested"}, "cancelled")
    ]
    rows = await rows_of_aggregate(engine, "withdrawal", w.id)
    assert [(r.type, r.sequence) for r in rows] == [
        ("withdrawal.requested", 1),
        ("withdrawal.cancelled", 2),
    ]
    # A cancelled request does not count in the day's total: with its 300 counted, 700 more
    # would pass the test policy's 800 KYC threshold and be refused.
    again = await wd.request(p.id, xtr(700), DESTINATION, uuid.uuid4())
    assert again.state is WithdrawalState.REQUESTED


async def test_only_the_player_cancels_and_only_a_requested_one(wd, cancel, player):  # noqa: F811
    p, other = await player(1_000), await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    with pytest.raises(NotFound):
        await cancel(other.id, w.id)
    await wd.approve(w.id, FINANCE)
    with pytest.raises(IllegalTransition, match="is approved; it cannot become cancelled"):
        await cancel(p.id, w.id)


async def test_the_table_refuses_a_cancel_not_made_by_the_player(wd, player, engine):  # noqa: F811
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="ck_withdrawals_cancelled_by"):
            await conn.execute(
                text(
                    "UPDATE withdrawals SET state = 'cancelled', decided_by = 'staff:fin',"
                    " cancelled_at = now(), decision_transaction_id = request_transaction_id"
                    " WHERE id = :id"
                ),
                {"id": w.id},
            )


async def test_a_cancel_racing_an_approval_decides_once(wd, cancel, player, balances, engine):  # noqa: F811
    outcomes = set()
    for _ in range(4):
        p = await player(1_000)
        w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
        results = await race(
            2, lambda i, w=w, p=p: wd.approve(w.id, FINANCE) if i else cancel(p.id, w.id)
        )
        winners = [r for r in results if isinstance(r, Withdrawal)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert (len(winners), len(losers)) == (1, 1), results
        assert isinstance(losers[0], IllegalTransition)
        final = await wd.get(w.id)
        assert final == winners[0]
        outcomes.add(final.state)
        expected = 1_000 if final.state is WithdrawalState.CANCELLED else 700
        assert await _wallet(balances, p.id) == expected
        assert await _decision_count(engine, w.id) == 2  # counted once
    assert outcomes <= {WithdrawalState.CANCELLED, WithdrawalState.APPROVED}
