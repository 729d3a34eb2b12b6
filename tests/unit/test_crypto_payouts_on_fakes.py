"""The Crypto Pay payout gateway on the in-memory fake: the spend id is the withdrawal's own,
other currencies go to the wrapped gateway, and a transfer that is not this payout's is never
taken for it (the integration tests run the rest against the fake HTTP server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from adapters.crypto_pay_payouts import CryptoPayPayouts, TransferMismatch
from domain.crypto_pay import ProviderTransfer, payout_spend_id
from domain.money import USDT, XTR, Money
from domain.withdrawals import PayoutNotSent, PayoutSent, Withdrawal
from tests.fake_crypto_pay import FakeCryptoPayGateway

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
