"""Responsible gambling's reads, removals, self-exclusion and the guard itself on in-memory
fakes (tests/fake_money.py): what a player sees of their limits (used and left, pending
changes), a removal that waits like a raise, a self-exclusion that only grows, and the guard
the bet and deposit use cases call. Limits, timeouts and the reality check through those use
cases are in test_responsible_on_fakes.py; the lock and the usage SQL are tested on PostgreSQL
(tests/integration/test_responsible*.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.responsible import (
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    HasDepositLimit,
    RemoveLimit,
    ResponsibleGamblingGuard,
    SelfExclude,
    SetLimit,
    StartTimeout,
)
from domain.errors import InvalidAmount, NotFound
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.responsible import (
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
)
from domain.staff import AuditAction
from domain.standing import PlayerBlocked
from tests.casino_on_fakes import Casino


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


async def test_the_status_shows_what_is_used_and_left_of_each_limit(casino):
    ann = await casino.player(1, deposit=500)
    set_limit = SetLimit(casino.db, casino.clock)
    status = GetResponsibleStatus(casino.db, casino.clock)
    assert not await HasDepositLimit(casino.db)(ann)
    empty = await status(ann)
    assert (empty.limits, empty.exclusion, empty.reality_check) == ((), None, None)

    await set_limit(ann, LimitKind.WAGER, LimitPeriod.WEEK, Money(100, XTR))
    await set_limit(ann, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(1000, XTR))
    await casino.coin(ann, stake=30)
    await casino.deposit(ann, 200)
    seen = await status(ann)
    assert [(s.limit.kind, s.limit.period) for s in seen.limits] == [
        (LimitKind.DEPOSIT, LimitPeriod.DAY),  # deposit, loss, wager; then by period
        (LimitKind.WAGER, LimitPeriod.WEEK),
    ]
    deposit, wager = seen.limits
    # The first deposit counts too: it is within the 24 hours.
    assert (deposit.used, deposit.remaining) == (Money(700, XTR), Money(300, XTR))
    assert (wager.used, wager.remaining) == (Money(30, XTR), Money(70, XTR))
    assert seen.has_deposit_limit
    assert await HasDepositLimit(casino.db)(ann)
    with pytest.raises(NotFound):
        await status(999)


async def test_a_removal_waits_for_the_cooling_off_and_then_the_limit_is_gone(casino):
    ann = await casino.player(1, deposit=500)
    await SetLimit(casino.db, casino.clock)(ann, LimitKind.LOSS, LimitPeriod.DAY, Money(50, XTR))
    remove = RemoveLimit(casino.db, casino.clock)
    asked = await remove(ann, LimitKind.LOSS, LimitPeriod.DAY, XTR)
    assert not asked.applied
    assert asked.confirmable_at == casino.clock.now() + timedelta(hours=24)
    [pending] = (await GetResponsibleStatus(casino.db, casino.clock)(ann)).limits
    assert (pending.pending_removal, pending.confirmable) == (True, False)
    confirm = ConfirmLimitIncrease(casino.db, casino.clock)
    with pytest.raises(ResponsibleGamblingRefusal, match="cooling"):
        await confirm(ann, LimitKind.LOSS, LimitPeriod.DAY, XTR)
    casino.clock.advance(hours=24, seconds=1)
    assert await confirm(ann, LimitKind.LOSS, LimitPeriod.DAY, XTR) is None
    assert (await GetResponsibleStatus(casino.db, casino.clock)(ann)).limits == ()
    actions = [e.action for e in casino.db.state.audit]
    assert actions[-2:] == [AuditAction.LIMIT_REMOVAL_REQUESTED, AuditAction.LIMIT_REMOVED]
    with pytest.raises(NotFound):
        await remove(ann, LimitKind.LOSS, LimitPeriod.DAY, XTR)


async def test_a_self_exclusion_stops_play_outlasts_a_timeout_and_cannot_shrink(casino):
    ann = await casino.player(1, deposit=500)
    await StartTimeout(casino.db, casino.clock)(ann, TimeoutPeriod.DAY)
    exclude = SelfExclude(casino.db, casino.clock)
    excluded = await exclude(ann, SelfExclusionPeriod.SIX_MONTHS)
    assert excluded.kind is ExclusionKind.SELF_EXCLUSION
    assert excluded.until is not None
    assert excluded.until >= casino.clock.now() + timedelta(days=180)
    with pytest.raises(ResponsibleGamblingRefusal):
        await casino.coin(ann)
    forever = await exclude(ann, SelfExclusionPeriod.PERMANENT)
    assert forever.until is None
    assert (await exclude(ann, SelfExclusionPeriod.ONE_YEAR)).until is None  # kept, not shortened
    status = await GetResponsibleStatus(casino.db, casino.clock)(ann)
    assert status.self_excluded
    casino.clock.advance(days=400)
    assert (await GetResponsibleStatus(casino.db, casino.clock)(ann)).excluded


async def test_the_guard_decides_by_the_standing_and_the_players_record(casino):
    ann = await casino.player(1)
    guard = ResponsibleGamblingGuard()
    now = casino.clock.now()
    async with casino.db() as uow:
        standing = await uow.players.standing(ann)
        # No record: the standing alone decides, and nothing is read or written.
        await guard.check_bet(uow, standing, Money(10, XTR), now)
        await guard.check_deposit(uow, standing, Money(10, XTR), now)
        assert not await uow.responsible.lock(ann)
    await SetLimit(casino.db, casino.clock)(ann, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(20, XTR))
    async with casino.db() as uow:
        standing = await uow.players.standing(ann)
        await guard.check_deposit(uow, standing, Money(20, XTR), now)
        with pytest.raises(ResponsibleGamblingRefusal) as refused:
            await guard.check_deposit(uow, standing, Money(21, XTR), now)
        assert (refused.value.rule, refused.value.remaining) == (
            "deposit_limit_24h",
            Money(20, XTR),
        )
        await guard.check_bet(uow, standing, Money(999, XTR), now)  # deposit limits only
        with pytest.raises(InvalidAmount):
            await guard.check_bet(uow, standing, Money(0, XTR), now)
    casino.db.state.players[ann].status = PlayerStatus.BLOCKED
    async with casino.db() as uow:
        blocked = await uow.players.standing(ann)
        with pytest.raises(PlayerBlocked):
            await guard.check_bet(uow, blocked, Money(10, XTR), now, locked=False)
