"""The sending mark's open edge, closed (docs/payments-crypto.md, "The sending mark"): a payout
run cannot outlive its lease. On PostgreSQL against the fake Crypto Pay, whose `transfer`
hangs (past the lease, until the test releases it or for good), with a short lease (1.2 s)
and a send deadline of a third of it (0.4 s), and a client whose own timeout (5 s) is longer
than both, so only the deadline can stop the run:

- the run gives up at its deadline, well inside its lease, and leaves the mark with its lease
  running: until the lease ends, staff cannot give the money back (409) and no other run asks
  Crypto Pay (no second transfer call);
- a hung request that reaches Crypto Pay inside that margin is found by the first run after
  the lease (getTransfers) and recorded paid, once; staff are refused;
- a hung request that never reaches it: the first run after the lease finds nothing, is
  refused, clears the mark; staff then give the money back, and no transfer exists.

What stays assumed (a request already sent reaches Crypto Pay within the lease's margin) is
in the docs; the fixtures are tests/integration/test_crypto_payouts.py's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.crypto_pay import CryptoPayClient
from adapters.crypto_pay_payouts import CryptoPayPayouts
from adapters.payouts import ManualPayouts
from adapters.postgres.payout_recipients import PlayerTelegramIds
from application.withdrawals import PayoutTiming, SendPayouts
from domain.crypto_pay import payout_spend_id
from domain.errors import IllegalTransition
from domain.money import USDT, Money
from domain.withdrawals import WithdrawalState
from tests.integration.test_crypto_payouts import (  # noqa: F401 - the fixtures
    FINANCE,
    USDT_1,
    _approved_not_sent,
    _balance_agrees_from,
    _transfer_calls,
    _wallet,
    funded,
    provider,
    rail,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

SHORT = PayoutTiming(timedelta(seconds=0.4), timedelta(seconds=1.2))


@pytest.fixture
async def patient_run(uow_factory, clock, ids, house, provider, engine):  # noqa: F811
    """A payout run with the short lease, on a client that would wait 5 s a call."""
    client = CryptoPayClient(provider.token, provider.url, timeout_s=5.0)
    gateway = CryptoPayPayouts(client, PlayerTelegramIds(engine), ManualPayouts(), {"USDT"})
    yield SendPayouts(uow_factory, clock, ids, house, gateway, {"USDT"}, timing=SHORT)
    await client.close()


async def _hang_one_run(rail, provider, funded, patient_run):  # noqa: F811
    """An approved withdrawal whose run's transfer hangs: the run gives up at its deadline.
    Returns the withdrawal and when (loop time) its mark was taken, at the latest."""
    withdrawal = await _approved_not_sent(rail, provider, funded)
    await _balance_agrees_from(rail, provider)
    provider.hold_transfers = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()
    first = await patient_run()
    took = loop.time() - started
    assert first.waiting >= 1
    # Cut off at the deadline (0.4 s, with the database's round trips), far inside the lease.
    assert took < SHORT.lease.total_seconds() / 2, took
    assert len(_transfer_calls(provider, withdrawal)) == 1  # sent once, then hung
    after = await rail.get(withdrawal.id)
    assert after.state is WithdrawalState.APPROVED
    assert "no answer within the send's 0.4 s" in (after.payout_note or "")
    assert after.payout_sending_until is not None
    # The mark keeps its whole lease: nobody asks Crypto Pay, nor gives the money back, yet.
    with pytest.raises(IllegalTransition, match="is sending withdrawal"):
        await rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE)
    assert (await patient_run()).waiting >= 1
    assert len(_transfer_calls(provider, withdrawal)) == 1  # no second call meanwhile
    return withdrawal, started


async def test_a_hung_transfer_that_lands_inside_the_margin_is_found_and_paid_once(
    rail,  # noqa: F811
    provider,  # noqa: F811
    funded,  # noqa: F811
    patient_run,
    engine,
):
    withdrawal, started = await _hang_one_run(rail, provider, funded, patient_run)
    provider.hold_transfers.set()  # the request the run gave up on reaches Crypto Pay now
    spend_id = payout_spend_id(withdrawal.id)
    for _ in range(100):
        if spend_id in provider.transfers:
            break
        await asyncio.sleep(0.01)
    assert spend_id in provider.transfers  # made, after the run gave up: not recorded
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.APPROVED
    left = started + SHORT.lease.total_seconds() - asyncio.get_running_loop().time()
    await asyncio.sleep(max(left, 0) + 0.1)  # the lease ends
    provider.hold_transfers = None
    assert (await patient_run()).paid == 1  # getTransfers found it: recorded, not sent again
    assert len(_transfer_calls(provider, withdrawal)) == 1
    paid = await rail.get(withdrawal.id)
    assert paid.state is WithdrawalState.PAID
    assert paid.payout_sending_until is None
    with pytest.raises(IllegalTransition):
        await rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE)
    assert await _wallet(engine, withdrawal.player_id) == 7_500_000  # paid once, not refunded
    (agreed,) = await rail.balances()
    assert agreed.difference == Money(0, USDT), agreed.line()


async def test_a_hung_transfer_that_never_lands_is_given_back_once_the_lease_ended(
    rail,  # noqa: F811
    provider,  # noqa: F811
    funded,  # noqa: F811
    patient_run,
    engine,
):
    withdrawal, started = await _hang_one_run(rail, provider, funded, patient_run)
    left = started + SHORT.lease.total_seconds() - asyncio.get_running_loop().time()
    await asyncio.sleep(max(left, 0) + 0.1)  # the lease ends; the hung request never lands
    provider.hold_transfers = None  # (its handler stays hung on the old event: never made)
    provider.refuse_transfer = "USER_NOT_FOUND"
    assert (await patient_run()).waiting >= 1  # nothing at Crypto Pay, then refused
    noted = await rail.get(withdrawal.id)
    assert noted.payout_sending_until is None  # certainly nothing sent: cleared
    assert noted.payout_note == "Crypto Pay refused the transfer: USER_NOT_FOUND"
    failed = await rail.failed_checked(withdrawal.id, "player has no @CryptoBot", FINANCE)
    assert failed.state is WithdrawalState.FAILED
    assert await _wallet(engine, withdrawal.player_id) == 20 * USDT_1  # given back once
    await asyncio.sleep(0.2)
    assert payout_spend_id(withdrawal.id) not in provider.transfers  # and never transferred
    assert len(_transfer_calls(provider, withdrawal)) == 2  # the hung one and the refused one
