"""Four eyes per staff member and per player on PostgreSQL (issue 18): concurrent requests
add up one after the other under the staff member's and the player's locks, so no two of them
slip under the threshold together, and a request id is reserved for its request."""

from __future__ import annotations

import secrets
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.postings import CreditDepositCommand
from application.staff import Actor
from application.withdrawals import ApproveWithdrawal, NoWithdrawalHolds, RequestWithdrawal
from domain.adjustments import AdjustmentState, FourEyesPolicy
from domain.errors import Forbidden, IdempotencyConflict
from domain.money import XTR, Money
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from domain.withdrawals import PayoutSent, WithdrawalState
from tests.conftest import race

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

POLICY = FourEyesPolicy({"XTR": 100})


def _staff() -> Actor:
    # The sums are per staff member across players: a name of its own per test.
    return Actor(f"staff:fe-{secrets.token_hex(4)}")


@pytest.fixture
def request_adjustment(uow_factory, clock, ids, house):
    return RequestAdjustment(uow_factory, clock, ids, house, POLICY)


async def _posted_total(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT COALESCE(SUM(amount), 0) FROM adjustment_requests"
                    " WHERE player_id = :p AND state = 'approved'"
                ),
                {"p": player_id},
            )
        ).scalar_one()


async def test_concurrent_small_adjustments_by_one_staff_member_cannot_all_post(
    request_adjustment, new_player, engine
):
    player, alice = await new_player(), _staff()
    outcomes = await race(
        10,
        lambda i: request_adjustment(player.id, Money(25, XTR), "promo", alice, uuid.uuid4()),
    )
    states = sorted(o.request.state.value for o in outcomes)  # no exceptions: each answered
    assert states == ["approved"] * 4 + ["pending"] * 6
    assert await _posted_total(engine, player.id) == 100


async def test_concurrent_adjustments_by_several_staff_to_one_player_add_up(
    request_adjustment, new_player, engine
):
    player = await new_player()
    outcomes = await race(
        8,
        lambda i: request_adjustment(player.id, Money(30, XTR), "promo", _staff(), uuid.uuid4()),
    )
    assert sorted(o.request.state.value for o in outcomes) == ["approved"] * 3 + ["pending"] * 5
    assert await _posted_total(engine, player.id) == 90


async def test_a_pending_requests_id_stays_its_own(
    request_adjustment, uow_factory, clock, ids, house, new_player
):
    player, alice, bob = await new_player(), _staff(), _staff()
    big = await request_adjustment(player.id, Money(500, XTR), "goodwill", alice, uuid.uuid4())
    assert big.request.state is AdjustmentState.PENDING
    with pytest.raises(IdempotencyConflict):
        await request_adjustment(player.id, Money(1, XTR), "tiny", bob, big.request.id)
    approved = await DecideAdjustment(uow_factory, clock, ids, house, POLICY)(
        big.request.id, True, bob
    )
    assert approved.posting is not None
    assert approved.posting.balance == Money(500, XTR)


async def test_one_id_raced_by_two_staff_members_is_one_request(request_adjustment, new_player):
    player, key = await new_player(), uuid.uuid4()
    staff = [_staff(), _staff()]
    outcomes = await race(
        2, lambda i: request_adjustment(player.id, Money(5, XTR), "promo", staff[i], key)
    )
    assert sorted(type(o).__name__ for o in outcomes) == [
        "AdjustmentOutcome",
        "IdempotencyConflict",
    ]


class _Pending:
    async def send(self, withdrawal: object) -> PayoutSent:
        return PayoutSent()


async def test_the_chain_refusal_commits_its_flag_and_nothing_else(
    request_adjustment, uow_factory, clock, ids, house, new_player, credit, unique_key, engine
):
    player, alice = await new_player(), _staff()
    await credit(CreditDepositCommand(player.id, Money(1_000, XTR), unique_key()))
    await request_adjustment(player.id, Money(20, XTR), "goodwill", alice, uuid.uuid4())
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10**9)}, wagering_multiple=0
    )
    asked = await RequestWithdrawal(uow_factory, clock, ids, house, policy, NoWithdrawalHolds())(
        player.id, Money(300, XTR), "dest-1", uuid.uuid4()
    )
    with pytest.raises(Forbidden):
        await ApproveWithdrawal(uow_factory, clock, ids, house, _Pending())(asked.id, alice)
    async with engine.connect() as conn:
        state = (
            await conn.execute(text("SELECT state FROM withdrawals WHERE id = :i"), {"i": asked.id})
        ).scalar_one()
        flags = (
            (
                await conn.execute(
                    text(
                        "SELECT evidence->>'staff' FROM risk_flags"
                        " WHERE player_id = :p AND kind = 'staff_chain' AND status = 'open'"
                    ),
                    {"p": player.id},
                )
            )
            .scalars()
            .all()
        )
    assert (state, flags) == (WithdrawalState.REQUESTED.value, [alice.label])


async def test_two_approvers_on_postgresql_and_the_first_approval_stays(
    uow_factory, clock, ids, house, new_player, credit, unique_key, engine
):
    player, alice, bob = await new_player(), _staff(), _staff()
    await credit(CreditDepositCommand(player.id, Money(1_000, XTR), unique_key()))
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10**9)}, wagering_multiple=0
    )
    asked = await RequestWithdrawal(uow_factory, clock, ids, house, policy, NoWithdrawalHolds())(
        player.id, Money(300, XTR), "dest-1", uuid.uuid4()
    )
    approve = ApproveWithdrawal(
        uow_factory, clock, ids, house, _Pending(), second=SecondApprovalPolicy({"XTR": 200})
    )
    half = await approve(asked.id, alice)
    assert (half.state, half.first_approved_by) == (WithdrawalState.REQUESTED, alice.label)
    # The table keeps the first approval as given (no one rewrites it to approve alone)...
    with pytest.raises(DBAPIError, match="has its first approval already"):
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE withdrawals SET first_approved_by = :b WHERE id = :i"),
                {"b": bob.label, "i": asked.id},
            )
    done = await approve(asked.id, bob)
    assert (done.state, done.first_approved_by, done.decided_by) == (
        WithdrawalState.APPROVED,
        alice.label,
        bob.label,
    )
    # ... and refuses an approval by the first approver.
    with pytest.raises(DBAPIError, match="ck_withdrawals_second_approver"):
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE withdrawals SET decided_by = first_approved_by WHERE id = :i"),
                {"i": asked.id},
            )
