"""The largest limit (issue 23, UKGC RTS 12: limits typed as free text) is the domain's, for
every door: a billion whole units of the currency, a pending raise included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.responsible import SetLimit
from domain.errors import InvalidRequest
from domain.money import TON, XTR, Currency, Money
from domain.responsible import (
    LimitKind,
    LimitPeriod,
    LimitTooLarge,
    PlayerLimit,
    max_limit,
)
from tests.casino_on_fakes import Casino

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_the_largest_limit_is_a_billion_whole_units_and_never_over_ten_to_the_eighteen():
    assert max_limit(XTR) == Money(1_000_000_000, XTR)
    assert max_limit(TON) == Money(10**18, TON)  # 10**9 TON, 9 decimals
    assert max_limit(Currency("WEI", 18)) == Money(10**18, Currency("WEI", 18))


def test_a_limit_over_the_bound_is_refused_and_the_bound_itself_is_not():
    top = max_limit(XTR)
    limit = PlayerLimit.new(1, LimitKind.DEPOSIT, LimitPeriod.DAY, top, NOW)
    assert limit.amount == top
    with pytest.raises(LimitTooLarge) as refused:
        PlayerLimit.new(1, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(top.amount + 1, XTR), NOW)
    assert refused.value.maximum == top
    assert isinstance(refused.value, InvalidRequest)  # 400 at the HTTP doors, as other input


def test_a_raise_over_the_bound_is_refused_too():
    limit = PlayerLimit.new(1, LimitKind.WAGER, LimitPeriod.WEEK, Money(100, XTR), NOW)
    with pytest.raises(LimitTooLarge):
        limit.change_to(Money(1_000_000_001, XTR), NOW)
    raised = limit.change_to(Money(1_000_000_000, XTR), NOW)  # the bound: waits as a raise
    assert raised.pending_amount == Money(1_000_000_000, XTR)


async def test_set_limit_refuses_over_the_bound_and_writes_nothing():
    casino = Casino()
    ann = await casino.player(1)
    set_limit = SetLimit(casino.db, casino.clock)
    with pytest.raises(LimitTooLarge):
        await set_limit(ann, LimitKind.LOSS, LimitPeriod.DAY, Money(10**12, XTR))
    changed = await set_limit(ann, LimitKind.LOSS, LimitPeriod.DAY, Money(250, XTR))
    assert changed.applied
    with pytest.raises(LimitTooLarge):  # a raise past it: the 250 ⭐ stays, nothing pending
        await set_limit(ann, LimitKind.LOSS, LimitPeriod.DAY, Money(2_000_000_000, XTR))
    async with casino.db() as uow:
        limit = (await uow.responsible.profile(ann)).limit(LimitKind.LOSS, LimitPeriod.DAY, XTR)
    assert limit is not None
    assert (limit.amount, limit.pending) == (Money(250, XTR), None)
