"""Telegram Stars deposits and refunds on in-memory fakes (tests/fake_players.py): the invoice,
the pre-checkout, the credit once per charge, a refund Telegram makes and one it refuses,
without a database or Telegram. The Bot API side is tested with a mocked session
(tests/entrypoints/test_bot*.py), the races on PostgreSQL."""

from __future__ import annotations

import pytest

from application.house import HouseBook
from application.onboarding import AcceptTerms, StartPlayer
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    RefundStarsPayment,
)
from application.postings import DebitWallet, DebitWalletCommand
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from domain.errors import InsufficientFunds
from domain.money import XTR, Money
from domain.payments import PaymentMismatch, PaymentStatus, RefundRefused
from domain.players import PlayerStatus
from domain.risk import RiskFlagKind
from domain.standing import PlayerBlocked, TermsNotAccepted
from tests.fake_players import FakeStarsRefunds
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

TG = 5005
STAFF = Actor("staff:support")


@pytest.fixture
async def stars():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    started = await StartPlayer(db, clock)(TG, username="ann", language="en")
    # The prompt at the first deposit answered ("No limit for now"): its own tests are in
    # test_deposit_prompt_rule_on_fakes.py.
    await AnswerDepositPrompt(db, clock)(started.player.id)
    return db, (clock, ids, house), started.player.id


def _wallet(db, player_id: int) -> int:
    (wallet,) = [a for a in db.state.accounts.values() if a.player_id == player_id]
    return wallet.balance


async def test_no_invoice_before_the_terms_nor_for_a_blocked_player(stars):
    db, (clock, ids, _), player = stars
    invoice = CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)
    with pytest.raises(TermsNotAccepted):
        await invoice(player, 50)
    await AcceptTerms(db, clock)(player)
    db.state.players[player].status = PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        await invoice(player, 50)
    assert db.state.invoices == {}


async def test_an_invoice_checked_out_and_delivered_twice_credits_once(stars):
    db, (clock, ids, house), player = stars
    await AcceptTerms(db, clock)(player)
    invoice = await CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)(player, 50)
    check = CheckPreCheckout(db, clock, ALWAYS_GUARDED)
    assert await check(invoice.payload, TG, 50, "XTR") == invoice
    with pytest.raises(PaymentMismatch):
        await check(invoice.payload, TG, 49, "XTR")
    credit = CreditStarsPayment(db, clock, ids, house, FakeStarsRefunds(), DEFAULT_RISK_REVIEW)
    first = await credit("charge-1", invoice.payload, TG, 50, "XTR")
    again = await credit("charge-1", invoice.payload, TG, 50, "XTR")
    assert (first.balance, first.replayed) == (Money(50, XTR), False)
    assert again.replayed
    assert _wallet(db, player) == 50


async def test_a_refund_returns_the_stars_and_a_refused_one_puts_them_back(stars):
    db, (clock, ids, house), player = stars
    await AcceptTerms(db, clock)(player)
    invoice = await CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)(player, 50)
    credit = CreditStarsPayment(db, clock, ids, house, FakeStarsRefunds(), DEFAULT_RISK_REVIEW)
    await credit("charge-1", invoice.payload, TG, 50, "XTR")
    second = await CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)(player, 30)
    await credit("charge-2", second.payload, TG, 30, "XTR")

    telegram = FakeStarsRefunds()
    refunded = await RefundStarsPayment(db, clock, ids, house, telegram)("charge-1", "asked", STAFF)
    assert refunded.status is PaymentStatus.REFUNDED
    assert telegram.refunded == ["charge-1"]
    assert _wallet(db, player) == 30

    refusing = RefundStarsPayment(db, clock, ids, house, FakeStarsRefunds(refuse=True))
    with pytest.raises(RefundRefused):
        await refusing("charge-2", "asked", STAFF)
    assert db.state.payments["charge-2"].status is PaymentStatus.PAID
    assert _wallet(db, player) == 30  # compensated: the Stars are back

    third = await CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)(player, 10)
    await credit("charge-3", third.payload, TG, 10, "XTR")
    await DebitWallet(db, clock, ids, house)(DebitWalletCommand(player, Money(40, XTR), "spent"))
    with pytest.raises(InsufficientFunds, match="spent"):
        await RefundStarsPayment(db, clock, ids, house, FakeStarsRefunds())(
            "charge-2", "late", STAFF
        )


@pytest.mark.parametrize(
    ("payload", "amount", "currency"),
    [
        ("dep:never-issued", 50, "XTR"),  # an invoice never issued
        ("\x00junk" * 100, 50, "XTR"),  # a junk payload
        (None, 50, "USD"),  # another currency
        (None, 5000, "XTR"),  # another amount
    ],
)
async def test_a_charge_that_is_not_the_invoice_is_refunded_flagged_and_not_credited(
    stars, payload, amount, currency
):
    db, (clock, ids, house), player = stars
    await AcceptTerms(db, clock)(player)
    invoice = await CreateStarsInvoice(db, clock, ids, ALWAYS_GUARDED)(player, 50)
    telegram = FakeStarsRefunds()
    credit = CreditStarsPayment(db, clock, ids, house, telegram, DEFAULT_RISK_REVIEW)
    with pytest.raises(PaymentMismatch) as refused:
        await credit("charge-x", payload or invoice.payload, TG, amount, currency)
    assert len(refused.value.message) < 300
    assert telegram.refunded == ["charge-x"]
    assert _wallet(db, player) == 0
    assert "charge-x" not in db.state.payments
    [flag] = [f for f in db.state.flags.values() if f.player_id == player]
    assert flag.kind is RiskFlagKind.PAYMENT_MISMATCH
    assert flag.evidence["charge_id"] == "charge-x"
