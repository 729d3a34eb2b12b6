"""Crypto Pay payouts on the real database against a local fake of the API
(tests/fake_crypto_pay_server.py): an approved USDT withdrawal is paid by `transfer` under a
spend id made from the withdrawal, once, whatever crashes and lost answers come between the
transfer and its record; a refusal, the provider down or too little at the provider leave it
approved with the reason for staff; the books' money at Crypto Pay is compared with getBalance.
Reconcile (`books`) runs after each test, with its Crypto Pay checks (deposits less payouts)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from adapters.crypto_pay import CryptoPayClient
from adapters.crypto_pay_payouts import CryptoPayPayouts
from adapters.payouts import ManualPayouts
from adapters.postgres.payout_recipients import PlayerTelegramIds
from application.crypto_pay import (
    CreditCryptoInvoice,
    CryptoPayBalances,
    DepositInCrypto,
    PollCryptoInvoices,
)
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    NoWithdrawalHolds,
    PayoutRun,
    PayoutTiming,
    RequestWithdrawal,
    SendPayouts,
)
from application.withdrawals.queries import GetWithdrawal
from domain.crypto_pay import payout_spend_id
from domain.errors import IllegalTransition
from domain.money import USDT, Money
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from domain.withdrawals import Withdrawal, WithdrawalState
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FINANCE = Actor("staff:fin", "10.0.0.1")
USDT_1 = 1_000_000
POLICY = WithdrawalPolicy(
    {"USDT": CurrencyWithdrawalLimits(USDT_1, 1_000 * USDT_1, kyc_threshold=10**12)},
    wagering_multiple=0,
)
ONE_APPROVAL = SecondApprovalPolicy({"USDT": 10**12})


@pytest.fixture
async def provider():
    # A lost answer comes after 1 s, twice the client's patience.
    server = await FakeCryptoPayServer(delay=1.0).start()
    yield server
    await server.stop()


# The client gives up a call after 0.5 s: a send (four calls) within 2.2 s, cut off then; its
# mark's lease three times that. A lost answer is resolved by the first run after the lease.
TIMING = PayoutTiming(timedelta(seconds=2.2), timedelta(seconds=6.6))


async def _lease_ends(timing: PayoutTiming = TIMING) -> None:
    await asyncio.sleep(timing.lease.total_seconds() + 0.1)


@pytest.fixture
async def rail(uow_factory, clock, ids, house, provider, engine):
    client = CryptoPayClient(provider.token, provider.url, timeout_s=0.5)
    gateway = CryptoPayPayouts(client, PlayerTelegramIds(engine), ManualPayouts(), {"USDT"})

    class Rail:
        payouts = gateway
        deposit = DepositInCrypto(
            uow_factory,
            clock,
            ids,
            ResponsibleGamblingGuard(),
            client,
            CryptoPayConfig(enabled=True),
        )
        credit = CreditCryptoInvoice(uow_factory, clock, ids, house, DEFAULT_RISK_REVIEW)
        poll = PollCryptoInvoices(uow_factory, clock, client, credit)
        request = RequestWithdrawal(uow_factory, clock, ids, house, POLICY, NoWithdrawalHolds())
        approve = ApproveWithdrawal(
            uow_factory, clock, ids, house, gateway, second=ONE_APPROVAL, timing=TIMING
        )
        run = SendPayouts(uow_factory, clock, ids, house, gateway, {"USDT"}, timing=TIMING)
        failed = MarkWithdrawalFailed(uow_factory, clock, ids, house)
        # As wired: the provider is asked whether it paid before staff fail a payout.
        failed_checked = MarkWithdrawalFailed(uow_factory, clock, ids, house, gateway)
        balances = CryptoPayBalances(uow_factory, client, {"USDT"})
        get = GetWithdrawal(uow_factory)

    yield Rail
    await client.close()


@pytest.fixture
def funded(rail, provider, uow_factory, clock, new_telegram_id):
    """A player who deposited `amount` USDT through Crypto Pay (the app's balance there grows
    by it), and asked to withdraw `withdraw` of it: (telegram id, withdrawal)."""

    async def make(amount: int = 20 * USDT_1, withdraw: int = 12_500_000):
        telegram_id = new_telegram_id()
        started = await StartPlayer(uow_factory, clock)(telegram_id, username=None, language="en")
        await AcceptTerms(uow_factory, clock)(started.player.id)
        await AnswerDepositPrompt(uow_factory, clock)(started.player.id)  # "No limit for now"
        player_id = started.player.id
        made = await rail.deposit(player_id, "USDT", amount, f"tap-{uuid.uuid4().hex}")
        provider.pay(made.invoice.provider_invoice_id)
        assert (await rail.poll()).credited >= 1
        provider.balance["USDT"] = str(Decimal(provider.balance["USDT"]) + amount // USDT_1)
        withdrawal = await rail.request(
            player_id, Money(withdraw, USDT), "@CryptoBot", uuid.uuid4()
        )
        return telegram_id, withdrawal

    return make


def _transfer_calls(provider, withdrawal: Withdrawal) -> list[dict]:
    spend_id = payout_spend_id(withdrawal.id)
    return [p for m, p in provider.calls if m == "transfer" and p["spend_id"] == spend_id]


async def _wallet(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT balance FROM accounts WHERE kind = 'player_wallet'"
                " AND player_id = :p AND currency = 'USDT'"
            ),
            {"p": player_id},
        )
    return int(found or 0)


async def _settle_leftover(rail, withdrawal: Withdrawal) -> None:
    # Staff give the money back, so no later payout run in this database sends it.
    failed = await rail.failed(withdrawal.id, "test over: returned to the player", FINANCE)
    assert failed.state is WithdrawalState.FAILED


async def test_an_approved_withdrawal_is_paid_by_one_transfer_out_of_the_provider_account(
    rail, provider, funded, engine
):
    telegram_id, withdrawal = await funded()
    paid = await rail.approve(withdrawal.id, FINANCE)
    assert paid.state is WithdrawalState.PAID
    made = provider.transfers[payout_spend_id(withdrawal.id)]
    assert paid.payout_reference == f"cryptopay-transfer:{made['transfer_id']}"
    (call,) = _transfer_calls(provider, withdrawal)
    assert (call["user_id"], call["asset"], call["amount"]) == (telegram_id, "USDT", "12.5")
    assert len(call["spend_id"]) <= 64
    assert await _wallet(engine, withdrawal.player_id) == 7_500_000
    # The paid step left through crypto_pay_held, in the transaction that recorded it paid.
    async with engine.connect() as conn:
        kinds = (
            await conn.execute(
                text(
                    "SELECT a.kind, l.amount FROM ledger_legs l JOIN accounts a"
                    " ON a.id = l.account_id WHERE l.transaction_id = :t ORDER BY l.amount"
                ),
                {"t": paid.settlement_transaction_id},
            )
        ).all()
    assert [tuple(k) for k in kinds] == [
        ("payout_clearing", -12_500_000),
        ("crypto_pay_held", 12_500_000),
    ]
    # A repeat of the run sends nothing more: it is paid.
    await rail.run()
    assert len(_transfer_calls(provider, withdrawal)) == 1


async def test_a_crash_between_the_transfer_and_its_record_pays_once(rail, provider, funded):
    _, withdrawal = await funded()

    class CrashAfterSending:
        async def send(self, w: Withdrawal):
            await rail.payouts.send(w)  # the transfer is made...
            raise RuntimeError("process killed")  # ...and the process dies before recording

    quick = PayoutTiming(timedelta(seconds=0.3), timedelta(seconds=0.9))
    crashing = ApproveWithdrawal(
        rail.approve._uow,
        rail.approve._clock,
        rail.approve._ids,
        rail.approve._house,
        CrashAfterSending(),
        second=ONE_APPROVAL,
        timing=quick,
    )
    approved = await crashing(withdrawal.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert "outcome unknown" in (approved.payout_note or "")
    assert payout_spend_id(withdrawal.id) in provider.transfers  # made, not recorded
    assert (await rail.run()).waiting >= 1  # its mark's lease runs: left alone
    await _lease_ends(quick)
    run = await rail.run()
    assert run.paid >= 1
    after = [p for m, p in provider.calls if m == "getTransfers"]
    assert after, "the run asked the provider about the spend id first"
    assert len(_transfer_calls(provider, withdrawal)) == 1  # paid once, not twice
    again = await rail.get(withdrawal.id)
    assert again.state is WithdrawalState.PAID


async def test_a_lost_answer_is_asked_again_with_the_same_spend_id(rail, provider, funded):
    _, withdrawal = await funded()
    provider.lose_transfer_answers = 1
    paid = await rail.approve(withdrawal.id, FINANCE)
    assert paid.state is WithdrawalState.PAID
    calls = _transfer_calls(provider, withdrawal)
    assert len(calls) == 2
    assert calls[0]["spend_id"] == calls[1]["spend_id"]
    assert len([t for t in provider.transfers if t == calls[0]["spend_id"]]) == 1


async def test_answers_lost_every_time_leave_it_sending_for_the_next_run(rail, provider, funded):
    _, withdrawal = await funded()
    provider.lose_transfer_answers = 2  # the first try and its retry
    approved = await rail.approve(withdrawal.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED  # not failed blindly
    assert "outcome unknown" in (approved.payout_note or "")
    assert payout_spend_id(withdrawal.id) in provider.transfers  # it was made, in fact
    # Staff cannot give the money back meanwhile: Crypto Pay has paid it.
    with pytest.raises(IllegalTransition, match="has paid"):
        await rail.failed_checked(withdrawal.id, "player asked again", FINANCE)
    provider.mode = "error500"
    with pytest.raises(IllegalTransition, match="cannot tell now"):
        await rail.failed_checked(withdrawal.id, "player asked again", FINANCE)
    provider.mode = "ok"
    assert (await rail.run()).waiting >= 1  # its mark's lease runs: nobody asks yet
    assert len(_transfer_calls(provider, withdrawal)) == 2
    await _lease_ends()
    run = await rail.run()
    assert run.paid >= 1
    assert len(_transfer_calls(provider, withdrawal)) == 2  # no third transfer call
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.PAID


async def test_a_refused_transfer_goes_back_to_staff_with_the_reason(
    rail, provider, funded, engine
):
    _, withdrawal = await funded()
    provider.refuse_transfer = "USER_NOT_FOUND"
    approved = await rail.approve(withdrawal.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert approved.payout_note == "Crypto Pay refused the transfer: USER_NOT_FOUND"
    assert payout_spend_id(withdrawal.id) not in provider.transfers
    assert await _wallet(engine, withdrawal.player_id) == 7_500_000  # in payout clearing
    # Staff give it back (Crypto Pay confirms it made no transfer): the money returns to the
    # wallet, the note stays as history.
    failed = await rail.failed_checked(withdrawal.id, "player has no @CryptoBot", FINANCE)
    assert failed.state is WithdrawalState.FAILED
    assert failed.payout_note == "Crypto Pay refused the transfer: USER_NOT_FOUND"
    assert await _wallet(engine, withdrawal.player_id) == 20 * USDT_1


@pytest.mark.parametrize("down", ["error500", "stopped"])
async def test_the_provider_down_sends_nothing_and_the_next_run_pays(rail, provider, funded, down):
    _, withdrawal = await funded()
    if down == "stopped":
        await provider.stop()
    else:
        provider.mode = "error500"
    approved = await rail.approve(withdrawal.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert "did not answer" in (approved.payout_note or "")
    assert payout_spend_id(withdrawal.id) not in provider.transfers
    if down == "stopped":
        await _settle_leftover(rail, withdrawal)  # its port is gone for good
        return
    provider.mode = "ok"
    await rail.run()
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.PAID
    assert len(_transfer_calls(provider, withdrawal)) == 1


async def test_too_little_at_the_provider_sends_nothing_until_topped_up(rail, provider, funded):
    _, withdrawal = await funded()
    provider.balance["USDT"] = "12.4"
    approved = await rail.approve(withdrawal.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert approved.payout_note is not None
    assert "not enough USDT at Crypto Pay: 12.4 available, 12.5 needed" in approved.payout_note
    assert _transfer_calls(provider, withdrawal) == []  # not even tried
    provider.balance["USDT"] = "100"
    await rail.run()
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.PAID


async def test_the_books_and_the_provider_balance_agree_and_a_difference_is_reported(
    rail, provider, funded
):
    _, withdrawal = await funded()
    await rail.approve(withdrawal.id, FINANCE)
    (before,) = await rail.balances()
    # The provider reports exactly what the books hold: they agree.
    provider.balance["USDT"] = _text(before.books.amount)
    (agreed,) = await rail.balances()
    assert agreed.difference == Money(0, USDT)
    assert "they agree" in agreed.line()
    # A forged difference: 0.000001 USDT missing at the provider.
    provider.balance["USDT"] = _text(before.books.amount - 1)
    (short,) = await rail.balances()
    assert short.difference == Money(-1, USDT)
    assert "DIFFERENCE -0.000001 USDT" in short.line()
    await provider.stop()
    (unknown,) = await rail.balances()
    assert unknown.provider is None
    assert unknown.difference is None


def _text(minor: int) -> str:
    whole, fraction = divmod(minor, USDT_1)
    return f"{whole}.{fraction:06d}"


async def test_concurrent_payout_runs_and_an_approval_repeat_pay_once(rail, provider, funded):
    _, withdrawal = await funded()
    provider.mode = "error500"
    await rail.approve(withdrawal.id, FINANCE)  # approved, not sent
    provider.mode = "ok"
    results = await asyncio.gather(
        rail.run(),
        rail.run(),
        rail.run(),
        rail.approve(withdrawal.id, FINANCE),
        return_exceptions=True,
    )
    # The approval's repeat returns it as it is while approved; once a run has paid it, it
    # is "already decided otherwise" (docs: an IllegalTransition), whichever came first.
    repeat = results[3]
    assert isinstance(repeat, Withdrawal | IllegalTransition), repeat
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.PAID
    assert len([t for t in provider.transfers if t == payout_spend_id(withdrawal.id)]) == 1
    runs = [r for r in results[:3] if isinstance(r, PayoutRun)]
    assert len(runs) == 3, results
    assert sum(r.paid for r in runs) >= 1


# -- The "sending" mark: a payout run against staff marking the same withdrawal failed --------


async def _approved_not_sent(rail, provider, funded) -> Withdrawal:
    """A withdrawal approved while Crypto Pay was down: approved, nothing sent, no mark."""
    _, withdrawal = await funded()
    provider.mode = "error500"
    approved = await rail.approve(withdrawal.id, FINANCE)
    provider.mode = "ok"
    assert approved.state is WithdrawalState.APPROVED
    assert approved.payout_sending_until is None  # nothing was sent: the mark was cleared
    return approved


async def _balance_agrees_from(rail, provider) -> None:
    # The provider holds exactly what the books say from here on (other tests' deposits
    # live in the same books, not at this test's fake).
    (before,) = await rail.balances()
    provider.balance["USDT"] = _text(before.books.amount)


async def _exactly_one_outcome(rail, provider, engine, withdrawal: Withdrawal, outcomes) -> str:
    """Paid once (one transfer, the money gone from the wallet, staff refused), or failed
    with the money back and no transfer at the provider (the run sent nothing)."""
    after = await rail.get(withdrawal.id)
    made = [t for t in provider.transfers if t == payout_spend_id(withdrawal.id)]
    wallet = await _wallet(engine, withdrawal.player_id)
    run, staff = outcomes
    assert not isinstance(run, BaseException), run
    assert after.payout_sending_until is None  # settled: no mark left
    if after.state is WithdrawalState.PAID:
        assert len(made) == 1
        assert wallet == 7_500_000
        assert isinstance(staff, IllegalTransition), staff
        assert run.paid == 1
        return "paid"
    assert after.state is WithdrawalState.FAILED, after.state
    assert made == [], "failed and transferred: paid twice"
    assert wallet == 20 * USDT_1
    assert isinstance(staff, Withdrawal)
    assert staff.state is WithdrawalState.FAILED
    assert run.paid == 0
    return "failed"


@pytest.mark.parametrize("transfer_delay", [0.0, 0.3])
async def test_a_payout_run_and_staff_failing_it_at_once_pay_once_or_give_back_once(
    rail, provider, funded, engine, transfer_delay
):
    # Started together, each side now and then a little ahead of the other; looped.
    staggers = [(0.0, 0.0), (0.0, 0.02), (0.02, 0.0), (0.0, 0.0), (0.0, 0.1), (0.1, 0.0)]
    seen = []
    for run_after, staff_after in staggers:
        withdrawal = await _approved_not_sent(rail, provider, funded)
        await _balance_agrees_from(rail, provider)
        provider.transfer_delay = transfer_delay

        async def later(delay, call):
            await asyncio.sleep(delay)
            return await call

        outcomes = await asyncio.gather(
            later(run_after, rail.run()),
            later(
                staff_after,
                rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE),
            ),
            return_exceptions=True,
        )
        provider.transfer_delay = 0.0
        seen.append(await _exactly_one_outcome(rail, provider, engine, withdrawal, outcomes))
        (agreed,) = await rail.balances()
        assert agreed.difference == Money(0, USDT), agreed.line()
    assert set(seen) <= {"paid", "failed"}


class _RunInsideTheWindow:
    """Staff's lookup, then (before staff lock the withdrawal) a payout run starts: the exact
    window the mark closes. `finish` lets the run complete inside it; otherwise the window
    closes while the transfer is still in flight at the provider (its mark committed)."""

    def __init__(self, lookup, rail, engine, withdrawal_id, *, finish: bool) -> None:
        self._lookup, self._rail, self._engine = lookup, rail, engine
        self._id, self._finish = withdrawal_id, finish
        self.run: asyncio.Task | None = None

    def pays(self, withdrawal):
        return self._lookup.pays(withdrawal)

    async def made(self, withdrawal):
        found = await self._lookup.made(withdrawal)
        assert found is None  # nothing sent yet: staff would go on to fail it
        self.run = asyncio.create_task(self._rail.run())
        if self._finish:
            await self.run
            return found
        for _ in range(200):  # until the run's mark is committed (2 s at most)
            if await self._mark() is not None:
                return found
            await asyncio.sleep(0.01)
        raise AssertionError("the payout run took no sending mark")

    async def _mark(self):
        async with self._engine.connect() as conn:
            return await conn.scalar(
                text("SELECT payout_sending_until FROM withdrawals WHERE id = :i"),
                {"i": self._id},
            )


@pytest.mark.parametrize("finish", [False, True], ids=["in-flight", "finished"])
async def test_a_transfer_between_staffs_lookup_and_their_commit_is_not_given_back(
    rail, provider, funded, engine, uow_factory, clock, ids, house, finish
):
    withdrawal = await _approved_not_sent(rail, provider, funded)
    await _balance_agrees_from(rail, provider)
    provider.transfer_delay = 0.3
    window = _RunInsideTheWindow(rail.payouts, rail, engine, withdrawal.id, finish=finish)
    staff = MarkWithdrawalFailed(uow_factory, clock, ids, house, window)
    expected = "is sending withdrawal" if not finish else "is paid"
    with pytest.raises(IllegalTransition, match=expected) as refused:
        await staff(withdrawal.id, "player asked for it back", FINANCE)
    assert "Traceback" not in str(refused.value)
    assert window.run is not None
    run = await window.run
    assert run.paid == 1
    assert (await rail.get(withdrawal.id)).state is WithdrawalState.PAID
    assert len(_transfer_calls(provider, withdrawal)) == 1
    assert await _wallet(engine, withdrawal.player_id) == 7_500_000
    (agreed,) = await rail.balances()
    assert agreed.difference == Money(0, USDT)


class _DiesWhileSending:
    """A payout gateway whose process dies (the task is cancelled) during the send: after the
    transfer was made (`after_transfer`) or before it."""

    def __init__(self, gateway, *, after_transfer: bool) -> None:
        self._gateway, self._after = gateway, after_transfer

    async def send(self, withdrawal):
        if self._after:
            await self._gateway.send(withdrawal)
        raise asyncio.CancelledError  # not an Exception: nothing is recorded, the mark stays


@pytest.mark.parametrize("after_transfer", [True, False], ids=["transferred", "not-sent"])
async def test_a_run_that_died_leaves_its_mark_and_the_next_run_resolves_it(
    rail, provider, funded, engine, uow_factory, clock, ids, house, after_transfer
):
    withdrawal = await _approved_not_sent(rail, provider, funded)
    await _balance_agrees_from(rail, provider)
    dying = SendPayouts(
        uow_factory,
        clock,
        ids,
        house,
        _DiesWhileSending(rail.payouts, after_transfer=after_transfer),
        {"USDT"},
        timing=PayoutTiming(timedelta(seconds=0.3), timedelta(seconds=1)),
    )
    with pytest.raises(asyncio.CancelledError):
        await dying()
    marked = await rail.get(withdrawal.id)
    assert marked.state is WithdrawalState.APPROVED
    assert marked.payout_sending_until is not None
    # While its lease runs, another run leaves it alone and staff are refused.
    assert (await rail.run()).waiting >= 1
    expected = "has paid" if after_transfer else "is sending withdrawal"
    with pytest.raises(IllegalTransition, match=expected):
        await rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE)
    await asyncio.sleep(1.1)  # its lease ends: the run is taken for dead
    if not after_transfer:
        # Unresolved: staff still wait for a run to ask Crypto Pay.
        with pytest.raises(IllegalTransition, match="not resolved yet"):
            await rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE)
        provider.refuse_transfer = "USER_NOT_FOUND"  # the next run: absent, then refused
    await rail.run()
    after = await rail.get(withdrawal.id)
    assert after.payout_sending_until is None
    if after_transfer:
        # getTransfers found the transfer: recorded paid, never sent again.
        assert after.state is WithdrawalState.PAID
        assert len(_transfer_calls(provider, withdrawal)) == 1
    else:
        # Nothing at Crypto Pay and nothing sent: the mark is cleared, staff may give it back.
        assert after.state is WithdrawalState.APPROVED
        assert payout_spend_id(withdrawal.id) not in provider.transfers
        failed = await rail.failed_checked(withdrawal.id, "player has no @CryptoBot", FINANCE)
        assert failed.state is WithdrawalState.FAILED
        assert await _wallet(engine, withdrawal.player_id) == 20 * USDT_1
    (agreed,) = await rail.balances()
    assert agreed.difference == Money(0, USDT)


async def test_a_get_transfers_that_ignores_the_spend_id_can_tell_nothing(rail, provider, funded):
    """If Crypto Pay listed every transfer whatever the spend id asked (the filter not
    applied), another payout's transfer must not pass for "this one was not made": staff
    cannot fail it ("cannot tell now") and the run sends nothing until the answer is right."""
    _, other = await funded()
    assert (await rail.approve(other.id, FINANCE)).state is WithdrawalState.PAID  # a transfer
    withdrawal = await _approved_not_sent(rail, provider, funded)
    await _balance_agrees_from(rail, provider)
    provider.ignore_spend_id_filter = True
    with pytest.raises(IllegalTransition, match="cannot tell now"):
        await rail.failed_checked(withdrawal.id, "player asked for it back", FINANCE)
    assert (await rail.run()).waiting >= 1
    noted = await rail.get(withdrawal.id)
    assert "did not filter by spend_id" in (noted.payout_note or "")
    assert noted.payout_sending_until is None  # nothing was sent: no transfer was asked
    assert _transfer_calls(provider, withdrawal) == []
    provider.ignore_spend_id_filter = False
    assert (await rail.run()).paid >= 1
    assert len(_transfer_calls(provider, withdrawal)) == 1
