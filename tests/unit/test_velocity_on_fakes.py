"""Velocity limits on fakes: the policy's fail modes, replays, and the deposit use case. The
Redis counter itself is tested on a real server in
tests/integration/test_responsible_enforcement.py."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.errors import InvalidRequest, RateLimited
from domain.money import XTR, Money
from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable
from tests.fakes import FakeClock, FakeDatabase, FakeLimiter, SequentialIds

BETS = VelocityLimit(VelocityAction.BET, 2, timedelta(seconds=1), fail_open=True)
DEPOSITS = VelocityLimit(VelocityAction.DEPOSIT, 1, timedelta(hours=1), fail_open=False)


@pytest.fixture
def limiter():
    return FakeLimiter()


@pytest.fixture
def policy(limiter):
    return VelocityPolicy(limiter, {VelocityAction.BET: BETS, VelocityAction.DEPOSIT: DEPOSITS})


async def test_over_the_limit_is_refused_with_whole_seconds_to_wait(policy):
    await policy.check(VelocityAction.BET, 1)
    await policy.check(VelocityAction.BET, 1)
    with pytest.raises(VelocityLimited) as caught:
        await policy.check(VelocityAction.BET, 1)
    refusal = caught.value
    assert isinstance(refusal, RateLimited)  # a 429 / RESOURCE_EXHAUSTED at the edges
    assert refusal.code == "velocity_limited"
    assert refusal.retry_after == 2  # 1.5 s rounded up: retrying sooner would fail again
    assert "2 bets per second" in refusal.message
    await policy.check(VelocityAction.BET, 2)  # another player has a count of their own


def test_retry_after_is_at_least_one_second():
    assert VelocityLimited(BETS, timedelta(milliseconds=1)).retry_after == 1
    assert VelocityLimited(DEPOSITS, timedelta(minutes=40)).retry_after == 2400


async def test_bets_fail_open_deposits_fail_closed_when_the_store_is_down(policy, limiter, caplog):
    limiter.down = True
    with caplog.at_level(logging.WARNING, logger="application.velocity"):
        for _ in range(5):  # far over the limit: nothing counts them
            await policy.check(VelocityAction.BET, 1)
        with pytest.raises(VelocityUnavailable) as caught:
            await policy.check(VelocityAction.DEPOSIT, 1)
    assert caught.value.code == "velocity_unavailable"
    assert "nothing was taken" in caught.value.message
    assert "let through (fail-open)" in caplog.text
    assert "refused (fail-closed)" in caplog.text


async def test_a_replay_is_never_refused_and_is_asked_about_only_on_a_refusal(policy, limiter):
    asked = []

    async def replay() -> bool:
        asked.append(True)
        return True

    async def new() -> bool:
        asked.append(False)
        return False

    await policy.admit(VelocityAction.DEPOSIT, 1, new)
    assert asked == []  # it fitted: no extra query
    await policy.admit(VelocityAction.DEPOSIT, 1, replay)  # over the limit, but a replay
    with pytest.raises(VelocityLimited):
        await policy.admit(VelocityAction.DEPOSIT, 1, new)
    limiter.down = True
    await policy.admit(VelocityAction.DEPOSIT, 1, replay)  # fail-closed gives way too
    with pytest.raises(VelocityUnavailable):
        await policy.admit(VelocityAction.DEPOSIT, 1, new)
    assert asked == [True, False, True, False]


async def test_an_action_without_a_limit_is_not_counted(limiter):
    policy = VelocityPolicy(limiter, {VelocityAction.DEPOSIT: DEPOSITS})
    for _ in range(10):
        await policy.check(VelocityAction.BET, 1)
        await NO_VELOCITY_LIMITS.check(VelocityAction.DEPOSIT, 1)
    assert limiter.calls == 0


def test_limits_are_validated():
    with pytest.raises(InvalidRequest):
        VelocityLimit(VelocityAction.BET, 0, timedelta(seconds=1), fail_open=True)
    with pytest.raises(InvalidRequest):
        VelocityLimit(VelocityAction.BET, 1, timedelta(0), fail_open=True)
    with pytest.raises(ValueError, match="need a limiter"):
        VelocityPolicy(None, {VelocityAction.BET: BETS})
    with pytest.raises(ValueError, match="is for"):
        VelocityPolicy(FakeLimiter(), {VelocityAction.DEPOSIT: BETS})


async def test_a_refused_deposit_writes_nothing_and_its_replay_is_answered(policy, limiter):
    db, clock, ids = FakeDatabase(), FakeClock(), SequentialIds()
    registration = await RegisterPlayer(db, clock)(
        RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
    )
    player = registration.player.id
    credit = CreditDeposit(db, clock, ids, HouseBook(4), velocity=policy)
    first = await credit(CreditDepositCommand(player, Money(10, XTR), "dep-1"))
    transactions = dict(db.state.transactions)
    with pytest.raises(VelocityLimited):
        await credit(CreditDepositCommand(player, Money(10, XTR), "dep-2"))
    assert db.state.transactions == transactions
    again = await credit(CreditDepositCommand(player, Money(10, XTR), "dep-1"))
    assert again.replayed
    assert again.transaction.id == first.transaction.id
    limiter.down = True
    with pytest.raises(VelocityUnavailable):
        await credit(CreditDepositCommand(player, Money(10, XTR), "dep-3"))
    assert db.state.transactions == transactions
