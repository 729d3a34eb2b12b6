"""Crypto Pay payouts on in-memory fakes: the gateway (the spend id is the withdrawal's own,
other currencies go to the wrapped gateway, a transfer that is not this payout's is never taken
for it), the approval paying out of `crypto_pay_held`, the payout run (`SendPayouts`) and the
balances against the provider (`CryptoPayBalances`). The lost answers, crashes and refusals run
on PostgreSQL against the fake HTTP server (tests/integration/test_crypto_payouts.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.crypto_pay_payouts import CryptoPayPayouts, TransferMismatch
from application.crypto_pay import CreditCryptoInvoice, CryptoPayBalances, DepositInCrypto
from application.house import HouseBook
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import CryptoPayConfig
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    NoWithdrawalHolds,
    PayoutRun,
    RequestWithdrawal,
    SendPayouts,
)
from domain.accounts import AccountKind
from domain.crypto_pay import ProviderTransfer, payout_spend_id
from domain.money import USDT, XTR, Money
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from domain.withdrawals import PayoutNotSent, PayoutSent, Withdrawal, WithdrawalState
from tests.fake_crypto_pay import FakeCryptoPayGateway
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

TELEGRAM_ID = 777


class Recipients:
    async def telegram_user_id(self, player_id: int) -> int:
        return TELEGRAM_ID


class Manual:
    def __init__(self) -> None:
        self.sent: list[Withdrawal] = []

    async def send(self, withdrawal: Withdrawal) -> PayoutSent:
        self.sent.append(withdrawal)
        return PayoutSent()


def _withdrawal(amount: Money) -> Withdrawal:
    return Withdrawal(
        id=uuid.uuid4(),
        player_id=1,
        request_id=uuid.uuid4(),
        amount=amount,
        destination="@CryptoBot",
        requested_at=datetime.now(UTC),
        request_transaction_id=uuid.uuid4(),
    )


def test_the_spend_id_is_made_from_the_withdrawal_alone() -> None:
    withdrawal_id = uuid.uuid4()
    assert payout_spend_id(withdrawal_id) == payout_spend_id(uuid.UUID(str(withdrawal_id)))
    assert payout_spend_id(withdrawal_id) != payout_spend_id(uuid.uuid4())
    assert len(payout_spend_id(withdrawal_id)) <= 64


async def test_stars_go_to_the_wrapped_gateway_and_usdt_to_crypto_pay() -> None:
    fake, manual = FakeCryptoPayGateway(), Manual()
    fake.balance["USDT"] = "10"
    gateway = CryptoPayPayouts(fake, Recipients(), manual, {"USDT"})
    stars = _withdrawal(Money(100, XTR))
    assert await gateway.send(stars) == PayoutSent()
    assert manual.sent == [stars]
    usdt = _withdrawal(Money(2_500_000, USDT))
    paid = await gateway.send(usdt)
    assert isinstance(paid, PayoutSent)
    assert paid.completed
    assert paid.from_provider_account
    made = fake.transfers[payout_spend_id(usdt.id)]
    assert (made.user_id, made.asset, made.amount) == (TELEGRAM_ID, "USDT", "2.5")
    # Sent again (the next run): answered from getTransfers, no second transfer.
    assert await gateway.send(usdt) == paid
    assert len(fake.transfers) == 1


async def test_a_transfer_under_our_spend_id_that_is_not_this_payout_is_not_taken() -> None:
    fake = FakeCryptoPayGateway()
    fake.balance["USDT"] = "10"
    usdt = _withdrawal(Money(2_500_000, USDT))
    spend_id = payout_spend_id(usdt.id)
    fake.transfers[spend_id] = ProviderTransfer(9, spend_id, TELEGRAM_ID, "USDT", "3", "completed")
    with pytest.raises(TransferMismatch):
        await CryptoPayPayouts(fake, Recipients(), Manual()).send(usdt)


async def test_the_provider_down_before_anything_is_sent_is_a_note_for_staff() -> None:
    fake = FakeCryptoPayGateway()
    fake.mode = "down"
    answer = await CryptoPayPayouts(fake, Recipients(), Manual()).send(
        _withdrawal(Money(2_500_000, USDT))
    )
    assert isinstance(answer, PayoutNotSent)
    assert "did not answer" in answer.note


# -- the use cases on fakes: the approval's payout, the payout run, the balances ----------------


class Books:
    """A player who deposited 20 USDT through Crypto Pay and asked to withdraw 12.5 of it."""

    def __init__(self) -> None:
        self.db, self.clock, self.ids = FakeDatabase(), FakeClock(), SequentialIds()
        self.house = HouseBook(4)
        self.provider = FakeCryptoPayGateway()
        self.gateway = CryptoPayPayouts(self.provider, Recipients(), Manual(), {"USDT"})
        uses = (self.db, self.clock, self.ids, self.house)
        self.approve = ApproveWithdrawal(*uses, self.gateway, second=ONE_APPROVAL)
        self.run = SendPayouts(*uses, self.gateway, {"USDT"})
        self.balances = CryptoPayBalances(self.db, self.provider, {"USDT"})

    async def withdrawal(self) -> Withdrawal:
        uses = (self.db, self.clock, self.ids, self.house)
        started = await StartPlayer(self.db, self.clock)(TELEGRAM_ID, username="p", language="en")
        await AcceptTerms(self.db, self.clock)(started.player.id)
        await AnswerDepositPrompt(self.db, self.clock)(started.player.id)  # "No limit for now"
        deposit = DepositInCrypto(
            self.db, self.clock, self.ids, ALWAYS_GUARDED, self.provider, CryptoPayConfig(True)
        )
        made = await deposit(started.player.id, "USDT", 20_000_000, "press")
        credit = CreditCryptoInvoice(*uses, DEFAULT_RISK_REVIEW)
        await credit(self.provider.pay(made.invoice.provider_invoice_id))
        self.provider.balance["USDT"] = "20"
        request = RequestWithdrawal(*uses, POLICY, NoWithdrawalHolds())
        return await request(started.player.id, Money(12_500_000, USDT), "@CryptoBot", uuid.uuid4())

    def held_at_provider(self) -> int:
        return -sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.kind is AccountKind.CRYPTO_PAY_HELD and a.currency == USDT
        )


STAFF = Actor("staff:fin")
POLICY = WithdrawalPolicy(
    {"USDT": CurrencyWithdrawalLimits(1_000_000, 10**9, kyc_threshold=10**12)},
    wagering_multiple=0,
)
ONE_APPROVAL = SecondApprovalPolicy({"USDT": 10**12})


async def test_the_approval_pays_out_of_the_money_held_at_crypto_pay() -> None:
    books = Books()
    asked = await books.withdrawal()
    assert books.held_at_provider() == 20_000_000
    paid = await books.approve(asked.id, STAFF)
    assert paid.state is WithdrawalState.PAID
    assert paid.payout_reference == books.provider.transfers[payout_spend_id(asked.id)].reference
    assert books.held_at_provider() == 7_500_000


async def test_the_payout_run_pays_what_the_provider_down_left_approved() -> None:
    books = Books()
    asked = await books.withdrawal()
    books.provider.mode = "down"
    noted = await books.approve(asked.id, STAFF)
    assert noted.state is WithdrawalState.APPROVED
    assert "did not answer" in (noted.payout_note or "")
    assert await books.run() == PayoutRun(0, 0, 1)  # still down: it waits
    books.provider.mode = "ok"
    assert await books.run() == PayoutRun(1, 0, 0)
    assert await books.run() == PayoutRun(0, 0, 0)  # paid: nothing left to send
    assert len(books.provider.transfers) == 1


async def test_the_balances_agree_and_a_difference_is_reported() -> None:
    books = Books()
    await books.withdrawal()
    (agreed,) = await books.balances()
    assert agreed.books == Money(20_000_000, USDT)
    assert agreed.difference == Money(0, USDT)
    books.provider.balance["USDT"] = "19.5"
    (short,) = await books.balances()
    assert short.difference == Money(-500_000, USDT)
    assert short.line() == "USDT: books 20 USDT, Crypto Pay 19.5 USDT: DIFFERENCE -0.5 USDT"
    books.provider.mode = "down"
    (unknown,) = await books.balances()
    assert unknown.difference is None
    assert "did not answer" in unknown.line()
