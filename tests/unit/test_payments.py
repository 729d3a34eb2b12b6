"""Stars invoices, payments and refunds: the rules, and the Telegram adapter's reading of
Telegram's answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import RefundStarPayment, TelegramMethod

from adapters.telegram_stars import TelegramStarsRefunds
from domain.errors import IllegalTransition, InvalidRequest
from domain.money import TON, XTR, Money
from domain.payments import (
    PaymentMismatch,
    PaymentStatus,
    RefundRefused,
    StarsInvoice,
    StarsPayment,
    stars,
    validate_payload,
)
from domain.posting_keys import stars_refund_key, stars_refund_undone_key

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_amounts_are_whole_stars_within_one_invoice():
    assert stars(1) == Money(1, XTR)
    assert stars(10_000) == Money(10_000, XTR)
    for bad in (0, -1, 10_001):
        with pytest.raises(InvalidRequest):
            stars(bad)


def test_payloads_are_one_to_128_bytes():
    assert validate_payload("x" * 128)
    for bad in ("", "x" * 129, "ж" * 65):  # 130 bytes in UTF-8
        with pytest.raises(InvalidRequest):
            validate_payload(bad)


def test_an_invoice_is_in_stars():
    with pytest.raises(InvalidRequest):
        StarsInvoice("dep:1", 1, Money(5, TON), NOW)


def test_a_checkout_must_match_the_invoice():
    invoice = StarsInvoice("dep:1", 7, Money(100, XTR), NOW)
    invoice.check_checkout(7, 100, "XTR")
    for player, amount, currency in ((8, 100, "XTR"), (7, 101, "XTR"), (7, 100, "USD")):
        with pytest.raises(PaymentMismatch):
            invoice.check_checkout(player, amount, currency)


def _payment() -> StarsPayment:
    return StarsPayment("ch-1", 7, 70, Money(100, XTR), "dep:1", uuid.uuid4(), NOW)


def test_a_refund_goes_paid_refunding_refunded():
    tx = uuid.uuid4()
    refunding = _payment().start_refund(tx, "staff:fin", "asked")
    assert (refunding.status, refunding.refund_transaction_id) == (PaymentStatus.REFUNDING, tx)
    done = refunding.complete_refund(NOW)
    assert (done.status, done.refunded_at) == (PaymentStatus.REFUNDED, NOW)
    for illegal in (
        lambda: done.start_refund(tx, "staff:fin", "again"),
        lambda: done.complete_refund(NOW),
        lambda: done.abandon_refund(),
        lambda: _payment().complete_refund(NOW),
        lambda: _payment().abandon_refund(),
        lambda: refunding.start_refund(tx, "staff:fin", "twice"),
    ):
        with pytest.raises(IllegalTransition):
            illegal()


def test_an_abandoned_refund_moves_the_next_try_to_new_keys():
    first = _payment()
    refunding = first.start_refund(uuid.uuid4(), "staff:fin", "asked")
    restored = refunding.abandon_refund()
    assert restored.status is PaymentStatus.PAID
    assert restored.refund_transaction_id is None
    assert restored.refund_attempts == first.refund_attempts + 1
    assert stars_refund_key("ch-1", restored.refund_attempts) != stars_refund_key(
        "ch-1", first.refund_attempts
    )
    assert stars_refund_undone_key("ch-1", refunding.refund_attempts) != stars_refund_undone_key(
        "ch-1", restored.refund_attempts
    )


class _Answering(BaseSession):
    def __init__(self, error: Exception | None) -> None:
        super().__init__()
        self.error = error
        self.calls: list[TelegramMethod[Any]] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - the signature aiogram calls
    ) -> Any:
        self.calls.append(method)
        if self.error is not None:
            raise self.error
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise AssertionError

    async def close(self) -> None:
        return None


def _bot(error: Exception | None) -> tuple[Bot, _Answering]:
    session = _Answering(error)
    return Bot("42:TEST", session=session), session


def _bad_request(message: str) -> TelegramBadRequest:
    return TelegramBadRequest(RefundStarPayment(user_id=1, telegram_payment_charge_id="c"), message)


async def test_the_adapter_reads_telegrams_answers():
    bot, session = _bot(None)
    await TelegramStarsRefunds(bot).refund(70, "ch-1")
    (call,) = session.calls
    assert (call.user_id, call.telegram_payment_charge_id) == (70, "ch-1")

    bot, _ = _bot(_bad_request("Bad Request: CHARGE_ALREADY_REFUNDED"))
    await TelegramStarsRefunds(bot).refund(70, "ch-1")  # done before: success

    bot, _ = _bot(_bad_request("Bad Request: CHARGE_NOT_FOUND"))
    with pytest.raises(RefundRefused, match="CHARGE_NOT_FOUND"):
        await TelegramStarsRefunds(bot).refund(70, "ch-1")

    method = RefundStarPayment(user_id=1, telegram_payment_charge_id="c")
    bot, _ = _bot(TelegramNetworkError(method, "timeout"))
    with pytest.raises(TelegramNetworkError):  # unknown outcome: not a refusal
        await TelegramStarsRefunds(bot).refund(70, "ch-1")

    with pytest.raises(RefundRefused, match="not configured"):
        await TelegramStarsRefunds(None).refund(70, "ch-1")
