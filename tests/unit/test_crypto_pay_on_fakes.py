"""Crypto Pay deposits on in-memory fakes (tests/fake_crypto_pay.py): the invoice and its
refusals (the same guard as Stars), the credit once per invoice however often and by whomever
it is reported, mismatches held for staff, expiry, the poller, and the provider refusing or
not answering. The HTTP fake of the provider is driven in tests/integration and
tests/entrypoints; races run on PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest

from adapters.crypto_pay import CryptoPayWebhookReader
from application.crypto_pay import CreditCryptoInvoice, DepositInCrypto, PollCryptoInvoices
from application.house import HouseBook
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import BadWebhookSignature, CryptoPayConfig, CryptoPayUnavailable
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt, SetLimit, StartTimeout
from application.risk import DEFAULT_RISK_REVIEW
from domain.accounts import AccountKind
from domain.crypto_pay import (
    CryptoDepositUnavailable,
    CryptoProviderDown,
    InvoiceState,
    decimal_text,
    parse_amount,
    webhook_signature_valid,
)
from domain.errors import IdempotencyConflict, InvalidRequest
from domain.money import TON, USDT, Money
from domain.players import PlayerStatus
from domain.responsible import LimitKind, LimitPeriod, ResponsibleGamblingRefusal, TimeoutPeriod
from domain.risk import RiskFlagKind
from domain.standing import PlayerBlocked, StandingRefusal, TermsNotAccepted
from tests.fake_crypto_pay import FakeCryptoPayGateway
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

TG = 7007
CONFIG = CryptoPayConfig(enabled=True)
FIVE_USDT = 5_000_000


class Rail:
    def __init__(self) -> None:
        self.db, self.clock, self.ids = FakeDatabase(), FakeClock(), SequentialIds()
        self.house = HouseBook(4)
        self.provider = FakeCryptoPayGateway()
        self.deposit = DepositInCrypto(
            self.db, self.clock, self.ids, ALWAYS_GUARDED, self.provider, CONFIG
        )
        self.credit = CreditCryptoInvoice(
            self.db, self.clock, self.ids, self.house, DEFAULT_RISK_REVIEW
        )
        self.poll = PollCryptoInvoices(self.db, self.clock, self.provider, self.credit)

    def wallet(self, player_id: int, currency=USDT) -> int:
        found = [
            a.balance
            for a in self.db.state.accounts.values()
            if a.player_id == player_id
            and a.currency == currency
            and a.kind is AccountKind.PLAYER_WALLET
        ]
        return found[0] if found else 0

    def held_at_provider(self, currency=USDT) -> int:
        return -sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.kind is AccountKind.CRYPTO_PAY_HELD and a.currency == currency
        )

    def flags(self) -> list:
        return [f for f in self.db.state.flags.values() if f.kind is RiskFlagKind.PAYMENT_MISMATCH]


@pytest.fixture
async def rail() -> tuple[Rail, int]:
    r = Rail()
    started = await StartPlayer(r.db, r.clock)(TG, username="cy", language="en")
    await AcceptTerms(r.db, r.clock)(started.player.id)
    # The prompt at the first deposit answered ("No limit for now"): its own tests are in
    # test_deposit_prompt_rule_on_fakes.py.
    await AnswerDepositPrompt(r.db, r.clock)(started.player.id)
    return r, started.player.id


def test_amounts_travel_as_exact_decimal_text() -> None:
    assert decimal_text(Money(5_000_000, USDT)) == "5"
    assert decimal_text(Money(1_250_000, USDT)) == "1.25"
    assert decimal_text(Money(1, TON)) == "0.000000001"
    assert parse_amount("1.25", USDT) == Money(1_250_000, USDT)
    assert parse_amount("0.000000001", TON) == Money(1, TON)
    with pytest.raises(InvalidRequest):
        parse_amount("1.0000001", USDT)  # finer than the asset's unit: never rounded
    with pytest.raises(InvalidRequest):
        parse_amount("1e3", USDT)


def test_the_webhook_signature_is_hmac_of_the_raw_body_keyed_with_the_tokens_hash() -> None:
    token, body = "1234:AAA", b'{"update_type":"invoice_paid"}'
    good = hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()
    assert webhook_signature_valid(token, body, good)
    assert webhook_signature_valid(token, body, good.upper())
    assert not webhook_signature_valid(token, body + b" ", good)  # another body
    assert not webhook_signature_valid("1234:AAB", body, good)  # another token
    assert not webhook_signature_valid(token, body, "")
    with pytest.raises(BadWebhookSignature):
        CryptoPayWebhookReader(token).read(body, "00" * 32)


async def test_a_deposit_creates_an_invoice_with_our_reference_and_returns_its_link(rail) -> None:
    r, player = rail
    made = await r.deposit(player, "USDT", FIVE_USDT, "press-1")
    assert made.invoice.state is InvoiceState.ACTIVE
    assert made.pay_url.startswith("https://t.me/CryptoBot")
    (request,) = r.provider.created
    assert request.payload == made.invoice.reference
    assert request.amount == Money(FIVE_USDT, USDT)
    # The same press again: the same invoice, the provider not asked twice.
    again = await r.deposit(player, "USDT", FIVE_USDT, "press-1")
    assert (again.invoice.reference, again.replayed) == (made.invoice.reference, True)
    assert len(r.provider.created) == 1
    with pytest.raises(IdempotencyConflict):
        await r.deposit(player, "USDT", 2 * FIVE_USDT, "press-1")


@pytest.mark.parametrize(
    ("asset", "amount", "error"),
    [
        ("BTC", FIVE_USDT, CryptoDepositUnavailable),
        ("USDT", 999_999, InvalidRequest),  # under 1 USDT
        ("USDT", 10_000 * 10**6 + 1, InvalidRequest),
        ("TON", 99_999_999, InvalidRequest),  # under 0.1 TON
    ],
)
async def test_an_asset_not_offered_or_an_amount_out_of_bounds_is_refused(
    rail, asset, amount, error
) -> None:
    r, player = rail
    with pytest.raises(error):
        await r.deposit(player, asset, amount, "k")
    assert r.db.state.crypto_invoices == {}
    assert r.provider.created == []


async def test_no_invoice_when_the_rail_is_off_or_the_asset_not_allowed(rail) -> None:
    r, player = rail
    off = DepositInCrypto(r.db, r.clock, r.ids, ALWAYS_GUARDED, r.provider, CryptoPayConfig())
    with pytest.raises(CryptoDepositUnavailable):
        await off(player, "USDT", FIVE_USDT, "k")
    usdt_only = replace(CONFIG, assets=frozenset({"USDT"}))
    only = DepositInCrypto(r.db, r.clock, r.ids, ALWAYS_GUARDED, r.provider, usdt_only)
    with pytest.raises(CryptoDepositUnavailable):
        await only(player, "TON", 10**9, "k")
    assert r.provider.created == []


async def test_protected_players_get_no_invoice(rail) -> None:
    r, player = rail
    r.db.state.players[player].status = PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        await r.deposit(player, "USDT", FIVE_USDT, "k1")
    r.db.state.players[player].status = PlayerStatus.ACTIVE
    await StartTimeout(r.db, r.clock)(player, TimeoutPeriod.DAY)
    with pytest.raises((StandingRefusal, ResponsibleGamblingRefusal)):
        await r.deposit(player, "USDT", FIVE_USDT, "k2")
    fresh = await StartPlayer(r.db, r.clock)(TG + 1, username="new", language="en")
    with pytest.raises(TermsNotAccepted):
        await r.deposit(fresh.player.id, "USDT", FIVE_USDT, "k3")
    assert r.db.state.crypto_invoices == {}
    assert r.provider.created == []


async def test_deposit_limits_count_open_invoices_as_well(rail) -> None:
    r, player = rail
    await SetLimit(r.db, r.clock)(
        player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(12_000_000, USDT)
    )
    await r.deposit(player, "USDT", FIVE_USDT, "a")
    await r.deposit(player, "USDT", FIVE_USDT, "b")
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        await r.deposit(player, "USDT", FIVE_USDT, "c")  # 10 open + 5 > 12
    assert refused.value.remaining == Money(2_000_000, USDT)
    assert len(r.provider.created) == 2
    # Paid invoices count as deposits, expired ones no longer count.
    r.provider.expire(
        r.db.state.crypto_invoices[next(iter(r.db.state.crypto_invoices))].provider_invoice_id
    )
    await r.poll()
    await r.deposit(player, "USDT", FIVE_USDT, "c")


async def test_a_paid_invoice_credits_exactly_once_however_often_reported(rail) -> None:
    r, player = rail
    made = await r.deposit(player, "USDT", FIVE_USDT, "k")
    paid = r.provider.pay(made.invoice.provider_invoice_id)
    first = await r.credit(paid)
    assert first.credited
    assert first.balance == Money(FIVE_USDT, USDT)
    for _ in range(3):  # replays of the webhook, then the poller
        assert not (await r.credit(paid)).credited
    report = await r.poll()
    assert (report.credited, report.checked) == (0, 0)  # paid: no longer open
    assert r.wallet(player) == FIVE_USDT
    assert r.held_at_provider() == FIVE_USDT
    stored = r.db.state.crypto_invoices[made.invoice.reference]
    assert stored.state is InvoiceState.PAID
    assert stored.deposit_transaction_id is not None


@pytest.mark.parametrize(
    "changes",
    [
        {"paid_asset": "TON", "paid_amount": "5"},
        {"paid_amount": "4.99"},
        {"asset": "TON"},
        {"amount": "50"},
        {"paid_amount": "9" * 19},  # beyond any amount: held, not an error
        {"invoice_id": 999_999},  # another provider invoice carrying our reference
    ],
)
async def test_a_payment_other_than_the_invoice_is_held_with_a_flag_not_credited(
    rail, changes
) -> None:
    r, player = rail
    made = await r.deposit(player, "USDT", FIVE_USDT, "k")
    paid = replace(r.provider.pay(made.invoice.provider_invoice_id), **changes)
    held = await r.credit(paid)
    again = await r.credit(paid)
    assert (held.held, held.credited, again.held) == (True, False, False)
    assert r.wallet(player) == 0
    assert r.held_at_provider() == 0
    assert r.db.state.crypto_invoices[made.invoice.reference].state is InvoiceState.HELD
    (flag,) = r.flags()
    assert flag.player_id == player
    assert flag.evidence["provider"] == "crypto_pay"


async def test_an_expired_invoice_credits_nothing_and_a_late_payment_is_held(rail) -> None:
    r, player = rail
    made = await r.deposit(player, "USDT", FIVE_USDT, "k")
    r.provider.expire(made.invoice.provider_invoice_id)
    report = await r.poll()
    assert report.expired == 1
    assert r.db.state.crypto_invoices[made.invoice.reference].state is InvoiceState.EXPIRED
    late = r.provider.pay(made.invoice.provider_invoice_id)
    result = await r.credit(late)
    assert result.held
    assert not result.credited
    assert r.wallet(player) == 0
    assert len(r.flags()) == 1


async def test_the_poller_credits_a_paid_invoice_whose_webhook_was_missed(rail) -> None:
    r, player = rail
    made = await r.deposit(player, "TON", 2 * 10**9, "k")
    r.provider.pay(made.invoice.provider_invoice_id)
    report = await r.poll()
    assert (report.checked, report.credited) == (1, 1)
    assert r.wallet(player, TON) == 2 * 10**9
    # The webhook arriving late changes nothing more.
    late = await r.credit(r.provider.invoices_by_id[made.invoice.provider_invoice_id])
    assert not late.credited
    assert r.wallet(player, TON) == 2 * 10**9


async def test_the_provider_refusing_fails_the_invoice_and_nothing_is_charged(rail) -> None:
    r, player = rail
    r.provider.mode = "refuse"
    with pytest.raises(CryptoProviderDown):
        await r.deposit(player, "USDT", FIVE_USDT, "k")
    (invoice,) = r.db.state.crypto_invoices.values()
    assert invoice.state is InvoiceState.FAILED
    assert (await r.poll()).checked == 0  # failed is not open


async def test_the_provider_down_leaves_the_invoice_pending_then_expires_it(rail) -> None:
    r, player = rail
    r.provider.mode = "down"
    with pytest.raises(CryptoProviderDown):
        await r.deposit(player, "USDT", FIVE_USDT, "k")
    (invoice,) = r.db.state.crypto_invoices.values()
    assert invoice.state is InvoiceState.PENDING
    # The provider back: the same press creates it now.
    r.provider.mode = "ok"
    again = await r.deposit(player, "USDT", FIVE_USDT, "k")
    assert again.invoice.state is InvoiceState.ACTIVE
    assert again.replayed
    # The provider down for the poller: nothing changes, the report says so.
    r.provider.mode = "down"
    report = await r.poll()
    assert report.provider_down
    assert report.credited == report.expired == 0


async def test_a_pending_invoice_the_provider_did_create_is_still_credited_by_its_webhook(
    rail,
) -> None:
    r, player = rail
    # The provider created the invoice but its answer was lost (a timeout).
    real = r.provider.create_invoice

    async def lost(request):
        await real(request)
        raise CryptoPayUnavailable("timeout")

    r.provider.create_invoice = lost
    with pytest.raises(CryptoProviderDown):
        await r.deposit(player, "USDT", FIVE_USDT, "k")
    (provider_id,) = r.provider.invoices_by_id
    credited = await r.credit(r.provider.pay(provider_id))
    assert credited.credited
    assert r.wallet(player) == FIVE_USDT
    # Another one whose answer is lost and that the provider never reports: it expires
    # after its own expiry and the grace, and credits nothing.
    r.provider.mode = "down"
    with pytest.raises(CryptoProviderDown):
        await r.deposit(player, "USDT", FIVE_USDT, "k2")
    r.provider.mode = "ok"
    assert (await r.poll()).expired == 0
    r.clock.advance(hours=1, minutes=11)
    assert (await r.poll()).expired == 1
    assert r.wallet(player) == FIVE_USDT


async def test_a_report_with_a_reference_not_ours_changes_nothing(rail) -> None:
    r, player = rail
    made = await r.deposit(player, "USDT", FIVE_USDT, "k")
    paid = r.provider.pay(made.invoice.provider_invoice_id)
    for payload in ("someone-else", "cp:" + "0" * 32, "cp:\x00"):
        result = await r.credit(replace(paid, payload=payload))
        assert result.invoice is None
        assert not result.credited
    assert r.wallet(player) == 0
    assert r.flags() == []


async def test_a_pending_invoice_offered_again_is_weighed_again(rail) -> None:
    r, player = rail
    r.provider.mode = "down"
    with pytest.raises(CryptoProviderDown):
        await r.deposit(player, "USDT", FIVE_USDT, "k")
    r.provider.mode = "ok"
    await StartTimeout(r.db, r.clock)(player, TimeoutPeriod.DAY)
    with pytest.raises((StandingRefusal, ResponsibleGamblingRefusal)):
        await r.deposit(player, "USDT", FIVE_USDT, "k")  # its link was never shown
    assert r.provider.created == []
    (invoice,) = r.db.state.crypto_invoices.values()
    assert invoice.state is InvoiceState.PENDING


async def test_a_webhook_before_the_invoice_is_recorded_active_credits_it_once(rail) -> None:
    r, player = rail
    real = r.provider.create_invoice

    async def paid_at_once(request):  # the webhook lands before our answer is recorded
        made = await real(request)
        credited = await r.credit(r.provider.pay(made.invoice_id))
        assert credited.credited
        return made

    r.provider.create_invoice = paid_at_once
    deposit = await r.deposit(player, "USDT", FIVE_USDT, "k")
    assert deposit.invoice.state is InvoiceState.PAID
    assert deposit.pay_url.startswith("https://t.me/CryptoBot")  # still a link to show
    assert r.wallet(player) == FIVE_USDT
    assert (await r.poll()).checked == 0
