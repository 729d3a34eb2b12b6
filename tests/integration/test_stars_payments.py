"""Stars deposits and refunds on the real database: credit once per charge, refunds ledger
first with compensation, retried safely when Telegram's answer is lost."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text

from application.onboarding import AcceptTerms, StartPlayer
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    ListStarsPayments,
    RefundStarsPayment,
)
from application.player_admin import BlockPlayer
from application.ports import AuditQuery
from application.postings import DebitWalletCommand
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from domain.errors import Forbidden, InsufficientFunds, InvalidRequest, NotFound
from domain.money import XTR, Money
from domain.payments import (
    PaymentMismatch,
    PaymentStatus,
    RefundPending,
    RefundRefused,
    StarsInvoice,
)
from domain.standing import PlayerBlocked, Rule, TermsNotAccepted
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FINANCE = Actor("staff:fin", "127.0.0.1")


class FakeRefunds:
    """Telegram's refundStarPayment: answers with what the test queues (None = refunded)."""

    def __init__(self) -> None:
        self.answers: list[Exception | None] = []
        self.calls: list[tuple[int, str]] = []

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        self.calls.append((telegram_user_id, charge_id))
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer


@pytest.fixture
def refunds():
    return FakeRefunds()


@pytest.fixture
def stars(uow_factory, clock, ids, house, refunds):
    guard = ResponsibleGamblingGuard()

    class Stars:
        invoice = CreateStarsInvoice(uow_factory, clock, ids, guard)
        check = CheckPreCheckout(uow_factory, clock, guard)
        credit = CreditStarsPayment(uow_factory, clock, ids, house, refunds, DEFAULT_RISK_REVIEW)
        refund = RefundStarsPayment(uow_factory, clock, ids, house, refunds)
        listing = ListStarsPayments(uow_factory)

    return Stars


@pytest.fixture
def payer(uow_factory, clock, new_telegram_id):
    """A player past the 18+ gate; returns (player id, telegram user id)."""

    async def make(accept: bool = True) -> tuple[int, int]:
        telegram_id = new_telegram_id()
        onboarded = await StartPlayer(uow_factory, clock)(telegram_id, username=None, language="en")
        if accept:
            await AcceptTerms(uow_factory, clock)(onboarded.player.id)
        # The prompt at the first deposit, answered "No limit for now" (its rule: the
        # use cases, tests/unit/test_deposit_prompt_rule_on_fakes.py).
        await AnswerDepositPrompt(uow_factory, clock)(onboarded.player.id)
        return onboarded.player.id, telegram_id

    return make


async def _paid(stars, payer_ids, amount: int = 100) -> str:
    player_id, telegram_id = payer_ids
    invoice = await stars.invoice(player_id, amount)
    await stars.check(invoice.payload, telegram_id, amount, "XTR")
    charge = f"ch-{secrets.token_hex(8)}"
    await stars.credit(charge, invoice.payload, telegram_id, amount, "XTR")
    return charge


async def _xtr(balances, player_id: int) -> int:
    return next(b.amount for b in await balances(player_id) if b.currency == XTR)


async def test_invoices_need_the_gate_and_sane_amounts(stars, payer):
    player_id, _ = await payer(accept=False)
    with pytest.raises(Forbidden):
        await stars.invoice(player_id, 100)
    player_id, _ = await payer()
    for amount in (0, -5, 10_001):
        with pytest.raises(InvalidRequest):
            await stars.invoice(player_id, amount)


async def test_pre_checkout_refuses_mismatches(stars, payer):
    player_id, telegram_id = await payer()
    _, stranger = await payer()
    invoice = await stars.invoice(player_id, 100)
    assert (await stars.check(invoice.payload, telegram_id, 100, "XTR")) == invoice
    with pytest.raises(PaymentMismatch, match="not 99"):
        await stars.check(invoice.payload, telegram_id, 99, "XTR")
    with pytest.raises(PaymentMismatch, match="another player"):
        await stars.check(invoice.payload, stranger, 100, "XTR")
    with pytest.raises(PaymentMismatch):
        await stars.check("dep:unknown", telegram_id, 100, "XTR")
    with pytest.raises(NotFound):
        await stars.check(invoice.payload, 2**50, 100, "XTR")


async def test_concurrent_deliveries_of_one_charge_credit_once(stars, payer, balances, engine):
    ids = await payer()
    invoice = await stars.invoice(ids[0], 300)
    charge = f"ch-{secrets.token_hex(8)}"
    results = await asyncio.gather(
        *(stars.credit(charge, invoice.payload, ids[1], 300, "XTR") for _ in range(8))
    )
    assert sum(not r.replayed for r in results) == 1
    assert {r.payment.deposit_transaction_id for r in results} == {
        results[0].payment.deposit_transaction_id
    }
    assert await _xtr(balances, ids[0]) == 300
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM stars_payments WHERE charge_id = :c"), {"c": charge}
        )
    assert count == 1


async def test_a_refund_takes_the_stars_back_once(stars, payer, refunds, balances, uow_factory):
    ids = await payer()
    charge = await _paid(stars, ids, 100)
    refunded = await stars.refund(charge, "player asked", FINANCE)
    assert refunded.status is PaymentStatus.REFUNDED
    assert refunded.refunded_at is not None
    assert refunds.calls == [(ids[1], charge)]
    assert await _xtr(balances, ids[0]) == 0

    again = await stars.refund(charge, "player asked", FINANCE)
    assert again.status is PaymentStatus.REFUNDED
    assert len(refunds.calls) == 1  # Telegram is not asked twice
    assert await _xtr(balances, ids[0]) == 0

    async with uow_factory() as uow:
        actions = [
            e.action.value for e in await uow.audit.search(AuditQuery(subject=f"player:{ids[0]}"))
        ]
    assert "stars_refund_started" in actions
    assert "stars_refunded" in actions


async def test_a_refused_refund_is_compensated(stars, payer, refunds, balances):
    ids = await payer()
    charge = await _paid(stars, ids, 100)
    refunds.answers.append(RefundRefused("Telegram refused the refund: CHARGE_NOT_FOUND"))
    with pytest.raises(RefundRefused):
        await stars.refund(charge, "duplicate", FINANCE)
    assert await _xtr(balances, ids[0]) == 100
    (payment,) = await stars.listing(ids[0])
    assert (payment.status, payment.refund_attempts) == (PaymentStatus.PAID, 1)

    # A second try posts under a new key and succeeds.
    done = await stars.refund(charge, "duplicate", FINANCE)
    assert done.status is PaymentStatus.REFUNDED
    assert await _xtr(balances, ids[0]) == 0


async def test_a_lost_answer_holds_the_stars_and_a_retry_finishes(stars, payer, refunds, balances):
    ids = await payer()
    charge = await _paid(stars, ids, 100)
    refunds.answers.append(TimeoutError("no answer"))
    with pytest.raises(RefundPending):
        await stars.refund(charge, "fraud", FINANCE)
    (payment,) = await stars.listing(ids[0])
    assert payment.status is PaymentStatus.REFUNDING
    assert await _xtr(balances, ids[0]) == 0  # held: cannot be bet while Telegram refunds

    done = await stars.refund(charge, "fraud", FINANCE)
    assert done.status is PaymentStatus.REFUNDED
    assert len(refunds.calls) == 2
    assert await _xtr(balances, ids[0]) == 0  # one reversal, not two


async def test_spent_stars_cannot_be_refunded(stars, payer, refunds, balances, debit, unique_key):
    ids = await payer()
    charge = await _paid(stars, ids, 100)
    await debit(DebitWalletCommand(ids[0], Money(60, XTR), unique_key("spend")))
    with pytest.raises(InsufficientFunds, match="spent"):
        await stars.refund(charge, "asked", FINANCE)
    assert refunds.calls == []
    (payment,) = await stars.listing(ids[0])
    assert payment.status is PaymentStatus.PAID
    assert await _xtr(balances, ids[0]) == 40


async def test_a_refund_needs_a_reason_and_a_known_charge(stars):
    with pytest.raises(InvalidRequest):
        await stars.refund("ch-x", "  ", FINANCE)
    with pytest.raises(NotFound):
        await stars.refund("ch-never", "reason", FINANCE)


async def test_stars_checkouts_count_against_the_deposit_velocity_limit(
    uow_factory, clock, ids, payer
):
    from datetime import timedelta

    from application.velocity import VelocityPolicy
    from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable
    from tests.fakes import FakeLimiter

    limiter = FakeLimiter()
    one_per_hour = VelocityLimit(VelocityAction.DEPOSIT, 1, timedelta(hours=1), fail_open=False)
    guard = ResponsibleGamblingGuard()
    check = CheckPreCheckout(
        uow_factory,
        clock,
        guard,
        velocity=VelocityPolicy(limiter, {VelocityAction.DEPOSIT: one_per_hour}),
    )
    player_id, telegram_id = await payer()
    first = await CreateStarsInvoice(uow_factory, clock, ids, guard)(player_id, 100)
    second = await CreateStarsInvoice(uow_factory, clock, ids, guard)(player_id, 100)
    await check(first.payload, telegram_id, 100, "XTR")
    with pytest.raises(VelocityLimited):
        await check(second.payload, telegram_id, 100, "XTR")
    limiter.down = True  # Redis unreachable: deposits fail closed
    with pytest.raises(VelocityUnavailable):
        await check(second.payload, telegram_id, 100, "XTR")


# -- the player's standing (issue 16) ----------------------------------------------------------


async def test_a_blocked_player_gets_no_invoice_and_no_checkout(
    stars, payer, uow_factory, clock, engine, balances
):
    player_id, telegram_id = await payer()
    offered = await stars.invoice(player_id, 100)  # before the block
    await BlockPlayer(uow_factory, clock)(player_id, "chargebacks", FINANCE)
    before = await row_counts(engine)
    with pytest.raises(PlayerBlocked) as refused:
        await stars.invoice(player_id, 100)
    assert refused.value.rule is Rule.BLOCKED
    with pytest.raises(PlayerBlocked):
        await stars.check(offered.payload, telegram_id, 100, "XTR")
    assert await row_counts(engine) == before

    # Telegram reported a charge all the same (it was taken before the block): the Stars are
    # the player's, credited once; staff refund them if they must go back.
    charge = f"ch-{secrets.token_hex(8)}"
    credited = await stars.credit(charge, offered.payload, telegram_id, 100, "XTR")
    assert not credited.replayed
    assert await _xtr(balances, player_id) == 100
    assert (await stars.credit(charge, offered.payload, telegram_id, 100, "XTR")).replayed


async def test_a_player_without_the_terms_gets_no_invoice_and_no_checkout(
    stars, payer, uow_factory, clock, engine
):
    player_id, telegram_id = await payer(accept=False)
    before = await row_counts(engine)
    with pytest.raises(TermsNotAccepted) as refused:
        await stars.invoice(player_id, 100)
    assert refused.value.rule is Rule.TERMS_NOT_ACCEPTED
    assert await row_counts(engine) == before
    # An invoice they could not have been sent (recorded here by hand) is refused at checkout.
    invoice = StarsInvoice(f"dep:{secrets.token_hex(8)}", player_id, Money(100, XTR), clock.now())
    async with uow_factory() as uow:
        await uow.stars.add_invoice(invoice)
        await uow.commit()
    before = await row_counts(engine)
    with pytest.raises(TermsNotAccepted):
        await stars.check(invoice.payload, telegram_id, 100, "XTR")
    assert await row_counts(engine) == before
