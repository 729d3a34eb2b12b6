"""Crypto Pay deposits on the real database against a local fake of the API
(tests/fake_crypto_pay_server.py, an HTTP server): an invoice created and credited once per
invoice under concurrent webhooks and against the poller, the client's answers when the
provider refuses, fails, answers late or is down, the database's own guards, and the open
invoices counted against a deposit limit under a race. Reconcile (`books`) runs after each
test, with its Crypto Pay checks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.crypto_pay import CryptoPayClient, CryptoPayWebhookReader
from application.crypto_pay import CreditCryptoInvoice, DepositInCrypto, PollCryptoInvoices
from application.crypto_pay.deposit import CREATE_LEASE
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import (
    BadWebhookSignature,
    CryptoPayConfig,
    CryptoPayRefused,
    CryptoPayUnavailable,
    InvoiceRequest,
)
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard, SetLimit
from application.risk import DEFAULT_RISK_REVIEW
from domain.crypto_pay import (
    CryptoInvoice,
    CryptoProviderDown,
    InvoiceBeingCreated,
    InvoiceState,
    new_reference,
)
from domain.money import USDT, Money
from domain.responsible import LimitKind, LimitPeriod, ResponsibleGamblingRefusal
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FIVE = 5_000_000  # 5 USDT


@pytest.fixture
async def provider():
    # "slow" answers after 1.5 s, twice the client's patience (0.75 s). The patience leaves a
    # call that answers in 0.25 s (`create_delay`) half a second for the test's own event loop,
    # which runs this server, the use cases and their database calls: with 0.5 s, a loaded CI
    # machine once let a double tap's one createInvoice time out (2026-12-05).
    server = await FakeCryptoPayServer(delay=1.5).start()
    yield server
    await server.stop()


@pytest.fixture
async def rail(uow_factory, clock, ids, house, provider):
    client = CryptoPayClient(provider.token, provider.url, timeout_s=0.75)

    class Rail:
        gateway = client
        webhooks = CryptoPayWebhookReader(provider.token)
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

    yield Rail
    await client.close()


@pytest.fixture
def player(uow_factory, clock, new_telegram_id):
    async def make() -> int:
        started = await StartPlayer(uow_factory, clock)(
            new_telegram_id(), username=None, language="en"
        )
        await AcceptTerms(uow_factory, clock)(started.player.id)
        # The prompt at the first deposit, answered "No limit for now" (its rule: the
        # use cases, tests/unit/test_deposit_prompt_rule_on_fakes.py).
        await AnswerDepositPrompt(uow_factory, clock)(started.player.id)
        return started.player.id

    return make


async def _wallet(engine, player_id: int, currency: str = "USDT") -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT coalesce(sum(balance), 0) FROM accounts WHERE player_id = :p"
                " AND currency = :c AND kind = 'player_wallet'"
            ),
            {"p": player_id, "c": currency},
        )
    return int(found)


async def _state(engine, reference: str) -> str:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT state FROM crypto_invoices WHERE reference = :r"), {"r": reference}
        )


async def test_a_deposit_goes_to_the_provider_and_its_signed_webhook_credits_it(
    rail, provider, player, engine
):
    player_id = await player()
    made = await rail.deposit(player_id, "USDT", FIVE, "tap-1")
    (call,) = [c for c in provider.calls if c[0] == "createInvoice"]
    assert call[1]["payload"] == made.invoice.reference
    assert (call[1]["asset"], call[1]["amount"]) == ("USDT", "5")
    assert made.pay_url == provider.invoices[made.invoice.provider_invoice_id]["bot_invoice_url"]
    provider.pay(made.invoice.provider_invoice_id)
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    reported = rail.webhooks.read(body, headers["crypto-pay-api-signature"])
    credited = await rail.credit(reported)
    assert credited.credited
    assert credited.balance == Money(FIVE, USDT)
    assert await _wallet(engine, player_id) == FIVE
    assert await _state(engine, made.invoice.reference) == "paid"
    # A forged signature is refused before anything is read.
    forged_body, forged = provider.webhook(made.invoice.provider_invoice_id, token="1:forged")
    with pytest.raises(BadWebhookSignature):
        rail.webhooks.read(forged_body, forged["crypto-pay-api-signature"])


@pytest.mark.parametrize("run", range(3))  # a race: run three times
async def test_concurrent_webhook_deliveries_credit_once(rail, provider, player, engine, run):
    player_id = await player()
    made = await rail.deposit(player_id, "TON", 3 * 10**9, f"tap-{run}")
    provider.pay(made.invoice.provider_invoice_id)
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    reported = rail.webhooks.read(body, headers["crypto-pay-api-signature"])
    results = await asyncio.gather(*(rail.credit(reported) for _ in range(8)))
    assert sum(r.credited for r in results) == 1
    assert await _wallet(engine, player_id, "TON") == 3 * 10**9
    async with engine.connect() as conn:
        postings = await conn.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = :k"),
            {"k": f"cryptopay:{made.invoice.provider_invoice_id}"},
        )
    assert postings == 1


@pytest.mark.parametrize("run", range(3))  # a race: run three times
async def test_the_webhook_and_the_poller_racing_credit_once(rail, provider, player, engine, run):
    player_id = await player()
    made = await rail.deposit(player_id, "USDT", FIVE, f"tap-{run}")
    provider.pay(made.invoice.provider_invoice_id)
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    reported = rail.webhooks.read(body, headers["crypto-pay-api-signature"])
    webhook, poll, webhook_again = await asyncio.gather(
        rail.credit(reported), rail.poll(), rail.credit(reported)
    )
    assert webhook.credited + poll.credited + webhook_again.credited == 1
    assert await _wallet(engine, player_id) == FIVE


async def test_the_poller_credits_a_missed_webhook_and_expires_what_the_provider_expired(
    rail, provider, player, engine
):
    player_id = await player()
    paid = await rail.deposit(player_id, "USDT", FIVE, "a")
    expired = await rail.deposit(player_id, "USDT", 2 * FIVE, "b")
    provider.pay(paid.invoice.provider_invoice_id)
    provider.expire(expired.invoice.provider_invoice_id)
    report = await rail.poll()
    assert report.credited >= 1  # other tests' open invoices may be in the same pass
    assert await _state(engine, paid.invoice.reference) == "paid"
    assert await _state(engine, expired.invoice.reference) == "expired"
    assert await _wallet(engine, player_id) == FIVE
    # Paid after it expired (the provider's late word): held for staff, never credited.
    provider.pay(expired.invoice.provider_invoice_id)
    body, headers = provider.webhook(expired.invoice.provider_invoice_id)
    late = await rail.credit(rail.webhooks.read(body, headers["crypto-pay-api-signature"]))
    assert late.held
    assert not late.credited
    assert await _wallet(engine, player_id) == FIVE
    async with engine.connect() as conn:
        flags = await conn.scalar(
            text(
                "SELECT count(*) FROM risk_flags WHERE player_id = :p AND kind = 'payment_mismatch'"
            ),
            {"p": player_id},
        )
    assert flags == 1


async def test_a_mismatched_payment_is_held_and_flagged_once(rail, provider, player, engine):
    player_id = await player()
    made = await rail.deposit(player_id, "USDT", FIVE, "a")
    provider.pay(made.invoice.provider_invoice_id, paid_asset="USDT", paid_amount="4.5")
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    reported = rail.webhooks.read(body, headers["crypto-pay-api-signature"])
    results = await asyncio.gather(*(rail.credit(reported) for _ in range(4)))
    assert sum(r.held for r in results) == 1
    assert not any(r.credited for r in results)
    assert await _wallet(engine, player_id) == 0
    assert await _state(engine, made.invoice.reference) == "held"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("refuse", CryptoPayRefused),
        ("error500", CryptoPayUnavailable),
        ("slow", CryptoPayUnavailable),
    ],
)
async def test_the_client_tells_a_refusal_from_an_unknown_outcome(rail, provider, mode, error):
    provider.mode = mode
    request = InvoiceRequest(Money(FIVE, USDT), "cp:" + "a" * 32, timedelta(hours=1))
    with pytest.raises(error):
        await rail.gateway.create_invoice(request)
    with pytest.raises(error):
        await rail.gateway.invoices([1])


async def test_a_provider_down_leaves_nothing_charged_and_the_tap_retries(
    rail, provider, player, engine
):
    player_id = await player()
    provider.mode = "refuse"
    with pytest.raises(CryptoProviderDown):
        await rail.deposit(player_id, "USDT", FIVE, "refused")
    provider.mode = "slow"  # answers after the client gave up: the outcome is unknown
    with pytest.raises(CryptoProviderDown):
        await rail.deposit(player_id, "USDT", FIVE, "late")
    async with engine.connect() as conn:
        states = dict(
            (
                await conn.execute(
                    text("SELECT idempotency_key, state FROM crypto_invoices WHERE player_id = :p"),
                    {"p": player_id},
                )
            ).all()
        )
    assert states == {"refused": "failed", "late": "pending"}
    provider.mode = "ok"
    again = await rail.deposit(player_id, "USDT", FIVE, "late")
    assert again.invoice.state is InvoiceState.ACTIVE
    await provider.stop()  # down: connection refused
    report = await rail.poll()
    assert report.provider_down
    with pytest.raises(CryptoPayUnavailable):
        await rail.gateway.balances()


async def test_open_invoices_racing_keep_to_a_deposit_limit(
    rail, player, engine, uow_factory, clock
):
    player_id = await player()
    await SetLimit(uow_factory, clock)(
        player_id, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(12_000_000, USDT)
    )
    results = await asyncio.gather(
        *(rail.deposit(player_id, "USDT", 2 * FIVE, f"race-{i}") for i in range(4)),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ResponsibleGamblingRefusal)]
    assert (len(made), len(refused)) == (1, 3), results


@pytest.mark.parametrize("stagger", [0.0, 0.05])
@pytest.mark.parametrize("run", range(3))  # a race: run three times
async def test_a_double_tap_racing_itself_makes_one_invoice(rail, provider, player, run, stagger):
    """The same idempotency key sent four times at once (a page's double tap, retried): one
    invoice at the provider; every other answer is that invoice or "being created, try
    again", never a second invoice (the Mini App's road: docs/miniapp.md, "Deposit").
    Staggered, the later taps find the invoice committed pending while the provider is still
    creating it (createInvoice takes 0.25 s): they must find its "creating" mark."""
    provider.create_delay = 0.25
    player_id = await player()
    before = len(provider.invoices)

    async def tap(i: int) -> object:
        await asyncio.sleep(i * stagger)
        return await rail.deposit(player_id, "USDT", FIVE, f"app:tap-{run}-{stagger}")

    results = await asyncio.gather(*(tap(i) for i in range(4)), return_exceptions=True)
    made = [r for r in results if not isinstance(r, BaseException)]
    busy = [r for r in results if isinstance(r, InvoiceBeingCreated)]
    assert len(made) + len(busy) == 4, results
    assert made, results
    assert len({m.invoice.reference for m in made}) == 1
    assert len(provider.invoices) == before + 1
    assert sum(1 for c in provider.calls if c[0] == "createInvoice") == 1
    again = await rail.deposit(player_id, "USDT", FIVE, f"app:tap-{run}-{stagger}")
    assert again.replayed
    assert again.invoice.reference == made[0].invoice.reference
    assert again.pay_url == made[0].pay_url


async def test_a_creating_mark_whose_lease_ended_is_taken_over(
    rail, provider, player, uow_factory, clock
):
    """A request that died holding the mark (its lease running) keeps its twins away, without
    a provider call; once the lease has ended the next request takes it over."""
    player_id = await player()
    now = clock.now()
    stranded = CryptoInvoice(
        reference=new_reference(uuid.uuid4()),
        player_id=player_id,
        idempotency_key="app:died",
        amount=Money(FIVE, USDT),
        state=InvoiceState.PENDING,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        creating_until=now + CREATE_LEASE,
    )
    async with uow_factory() as uow:
        assert await uow.crypto_invoices.add(stranded)
        await uow.commit()
    with pytest.raises(InvoiceBeingCreated):
        await rail.deposit(player_id, "USDT", FIVE, "app:died")
    assert not [c for c in provider.calls if c[0] == "createInvoice"]
    async with uow_factory() as uow:  # its lease ends (the request died long ago)
        await uow.crypto_invoices.save(stranded.creating(clock.now() - timedelta(seconds=1)))
        await uow.commit()
    taken = await rail.deposit(player_id, "USDT", FIVE, "app:died")
    assert taken.invoice.reference == stranded.reference
    assert taken.invoice.state is InvoiceState.ACTIVE
    assert taken.invoice.creating_until is None
    assert [c[1]["payload"] for c in provider.calls if c[0] == "createInvoice"] == [
        stranded.reference
    ]


@pytest.mark.parametrize("orphan_first", [False, True])
async def test_an_orphan_of_a_lost_answer_is_never_credited_twice(
    rail, provider, player, engine, orphan_first
):
    """createInvoice times out but the provider made the invoice (an orphan: its link never
    shown); the retry makes a second one, shown. Both reported paid, in either order: at most
    one credit, and the payment not credited is a `payment_mismatch` flag for staff."""
    player_id = await player()
    provider.mode = "slow"
    with pytest.raises(CryptoProviderDown):
        await rail.deposit(player_id, "USDT", FIVE, "app:lost")
    for _ in range(40):  # the provider finishes the call its caller gave up on
        if provider.invoices:
            break
        await asyncio.sleep(0.05)
    (orphan,) = provider.invoices
    provider.mode = "ok"
    shown = await rail.deposit(player_id, "USDT", FIVE, "app:lost")
    assert shown.invoice.provider_invoice_id != orphan
    assert provider.invoices[orphan]["payload"] == shown.invoice.reference
    order = [shown.invoice.provider_invoice_id, orphan]
    for invoice_id in reversed(order) if orphan_first else order:
        provider.pay(invoice_id)
        body, headers = provider.webhook(invoice_id)
        await rail.credit(rail.webhooks.read(body, headers["crypto-pay-api-signature"]))
    await rail.poll()
    async with engine.connect() as conn:
        flags = (
            await conn.execute(
                text(
                    "SELECT evidence FROM risk_flags WHERE player_id = :p"
                    " AND kind = 'payment_mismatch'"
                ),
                {"p": player_id},
            )
        ).all()
    assert [f.evidence["invoice_id"] for f in flags] == [orphan]
    if orphan_first:  # held for staff, who settle both payments by hand
        assert await _wallet(engine, player_id) == 0
        assert await _state(engine, shown.invoice.reference) == "held"
    else:
        assert await _wallet(engine, player_id) == FIVE
        assert await _state(engine, shown.invoice.reference) == "paid"
        assert "was paid after" in flags[0].evidence["reason"]


async def test_the_database_guards_the_invoice(rail, provider, player, engine):
    player_id = await player()
    made = await rail.deposit(player_id, "USDT", FIVE, "a")
    provider.pay(made.invoice.provider_invoice_id)
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    await rail.credit(rail.webhooks.read(body, headers["crypto-pay-api-signature"]))
    ref = {"r": made.invoice.reference}
    for statement in (
        "UPDATE crypto_invoices SET state = 'active' WHERE reference = :r",
        "UPDATE crypto_invoices SET amount = amount + 1 WHERE reference = :r",
        "DELETE FROM crypto_invoices WHERE reference = :r",
    ):
        async with engine.begin() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), ref)
    other = await rail.deposit(player_id, "TON", 10**9, "b")
    async with engine.begin() as conn:
        with pytest.raises(DBAPIError):  # one provider invoice, one of ours
            await conn.execute(
                text("UPDATE crypto_invoices SET provider_invoice_id = :p WHERE reference = :r"),
                {"p": made.invoice.provider_invoice_id, "r": other.invoice.reference},
            )


async def test_reconcile_sees_money_held_at_crypto_pay_that_no_invoice_explains(
    rail, provider, player, engine
):
    from adapters.postgres.reconcile_crypto import CRYPTO_CHECKS

    player_id = await player()
    made = await rail.deposit(player_id, "USDT", FIVE, "a")
    provider.pay(made.invoice.provider_invoice_id)
    body, headers = provider.webhook(made.invoice.provider_invoice_id)
    await rail.credit(rail.webhooks.read(body, headers["crypto-pay-api-signature"]))
    async with engine.connect() as conn:
        for name, query in CRYPTO_CHECKS:
            assert (await conn.execute(text(query))).all() == [], name
        # Tampered with (the trigger off, as only the schema's owner can): the invoice now
        # says 1 USDT more than its deposit. Rolled back below.
        await conn.execute(text("ALTER TABLE crypto_invoices DISABLE TRIGGER USER"))
        await conn.execute(
            text("UPDATE crypto_invoices SET amount = amount + 1000000 WHERE reference = :r"),
            {"r": made.invoice.reference},
        )
        found = {name for name, query in CRYPTO_CHECKS if (await conn.execute(text(query))).all()}
        await conn.rollback()
    assert found == {
        "money held at Crypto Pay differs from the invoices credited less the payouts",
        "paid crypto invoice without its one deposit",
    }
