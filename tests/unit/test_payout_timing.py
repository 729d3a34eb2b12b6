"""A payout run cannot outlive its sending mark (docs/payments-crypto.md, "The sending mark"):
the lease is at least three times a send's deadline (refused otherwise, at construction), the
timing the composition derives from Crypto Pay's timeout keeps to it for every value the
setting allows, and a gateway that never answers is cut off at the deadline, leaving the mark
with its whole lease. The hung transfer on PostgreSQL:
tests/integration/test_crypto_payout_deadline.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from application.withdrawals import PayoutRun, PayoutTiming, SendPayouts
from application.withdrawals.payout import DEFAULT_TIMING, LEASE_FACTOR, SEND_LEASE
from domain.withdrawals import Withdrawal, WithdrawalState
from entrypoints.settings import Settings
from tests.unit.test_crypto_payouts_on_fakes import STAFF, Books


def test_a_lease_shorter_than_three_deadlines_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 times"):
        PayoutTiming(timedelta(seconds=45), timedelta(seconds=134))
    with pytest.raises(ValueError, match="positive"):
        PayoutTiming(timedelta(0), timedelta(seconds=1))
    assert PayoutTiming(timedelta(seconds=45), timedelta(seconds=135)).lease.total_seconds() == 135


@pytest.mark.parametrize("timeout_s", [0.1, 10.0, 30.0, 60.0])
def test_the_timing_from_crypto_pays_timeout_always_keeps_the_rule(timeout_s: float) -> None:
    timing = PayoutTiming.for_client(timedelta(seconds=timeout_s))
    # Four calls of the client's timeout, and five seconds for the rest.
    assert timing.deadline == timedelta(seconds=4 * timeout_s + 5)
    assert timing.lease >= LEASE_FACTOR * timing.deadline
    assert timing.lease >= SEND_LEASE


def test_the_default_is_45_seconds_and_five_minutes_and_the_widest_setting_builds() -> None:
    assert (DEFAULT_TIMING.deadline, DEFAULT_TIMING.lease) == (
        timedelta(seconds=45),
        timedelta(minutes=5),
    )
    declared = Settings.__dataclass_fields__["crypto_pay_timeout_s"].default
    assert declared.default == 10.0  # the default above is the setting's
    (widest,) = [m.le for m in declared.metadata if hasattr(m, "le")]
    timing = PayoutTiming.for_client(timedelta(seconds=widest))  # built: the rule holds
    assert timing.lease == LEASE_FACTOR * timing.deadline == timedelta(seconds=735)


async def test_a_gateway_that_never_answers_is_cut_off_at_the_deadline() -> None:
    books = Books()
    asked = await books.withdrawal()

    class Hangs:
        calls = 0

        async def send(self, withdrawal: Withdrawal) -> object:
            Hangs.calls += 1
            await asyncio.sleep(3600)  # a request that never comes back
            raise AssertionError("unreachable")

    timing = PayoutTiming(timedelta(seconds=0.05), timedelta(seconds=0.15))
    uses = (books.db, books.clock, books.ids, books.house)
    run = SendPayouts(*uses, Hangs(), {"USDT"}, timing=timing)  # type: ignore[arg-type]
    books.provider.mode = "down"
    await books.approve(asked.id, STAFF)  # approved; nothing sent, no mark
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await asyncio.wait_for(run(), 5) == PayoutRun(0, 0, 1)
    assert loop.time() - started < 1
    assert Hangs.calls == 1
    after = books.db.state.withdrawals[asked.id]
    assert after.state is WithdrawalState.APPROVED
    assert "no answer within the send's 0.05 s" in (after.payout_note or "")
    # The mark keeps its whole lease (the fake clock stood still): nobody takes over yet.
    assert after.payout_sending_until == books.clock.now() + timing.lease
    assert await run() == PayoutRun(0, 0, 1)
    assert Hangs.calls == 1
