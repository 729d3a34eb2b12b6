"""Four eyes per staff member and per player (issue 18) on in-memory fakes: adjustments add
up over the window, a split-up adjustment raises a staff_chain flag, and a pending request's
id is reserved. The race between two requests is tested on PostgreSQL
(tests/integration/test_four_eyes.py)."""

from __future__ import annotations

import uuid

import pytest

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.house import HouseBook
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from domain.adjustments import AdjustmentState, FourEyesPolicy, WindowTotals
from domain.errors import IdempotencyConflict
from domain.money import XTR, Money
from domain.risk import RiskFlagKind
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
