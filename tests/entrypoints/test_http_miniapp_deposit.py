"""The Mini App's deposit screen over HTTP (docs/miniapp.md, "Deposit"): the prompt at the first
deposit first (a 409 from the use case until "No limit for now" or a deposit limit), then a
Stars invoice recorded and its payment link asked of Telegram (the fake Bot API) with that
invoice's payload and price in Stars, so the bot's pre-checkout reads it unchanged and nothing
is credited before Telegram's `successful_payment`; a Crypto Pay invoice against the local fake
provider, a double tap (the same request id) answering the same invoice; and the refusals of
the same use cases, worded by `reason`."""

from __future__ import annotations

import secrets
import uuid

import pytest
from aiogram.methods import CreateInvoiceLink
from sqlalchemy import text

from application.payments import CheckPreCheckout
from application.ports import InvoiceRequest
from application.responsible import ResponsibleGamblingGuard
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.door_cases_crypto import GATEWAY, FakeCryptoPay
from tests.entrypoints.telegram_fakes import FakeTelegram
from tests.entrypoints.test_http_miniapp import (  # noqa: F401
    BOT_TOKEN,
    app_api,
    init_data,
    session,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class Provider:
    """The in-memory Crypto Pay of the door matrix (tests/fake_crypto_pay.py), shared so its
    invoice ids stay unique in the process's database; this test's invoices are those made
    since it started. (The HTTP fake of tests/fake_crypto_pay_server.py cannot answer here:
    Litestar's test client runs the app while the test's loop waits for it.)"""

    def __init__(self) -> None:
        self.before = len(GATEWAY.created)

    @property
    def invoices(self) -> list[InvoiceRequest]:
        return GATEWAY.created[self.before :]


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
async def telegram():
    return FakeTelegram()


@pytest.fixture
async def deposit_api(request, servers, tmp_path, provider, telegram):
    """The app with Crypto Pay on (the local fake provider) and its bot's Bot API a fake;
    a test's own settings as the fixture's indirect parameter."""
    from litestar.testing import AsyncTestClient

    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    settings = Settings(
        bot_token=BOT_TOKEN,
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
        crypto_pay_token="4242:mini-app-deposit",
        crypto_pay_host="http://127.0.0.1:9",  # never reached: the fake gateway stands for it
        crypto_pay_webhook_path="app-deposit-" + uuid.uuid4().hex[:8],
        **getattr(request, "param", {}),
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(settings, endpoints, FakeCryptoPay())
    runtime = await container.get(TelegramRuntime)
    assert runtime.bot is not None
    runtime.bot.session = telegram
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client


@pytest.fixture
def player(deposit_api, new_telegram_id, fund_bankroll):
    """A fresh player's (bearer headers, telegram id), past the 18+ gate unless asked."""

    async def make(*, accept: bool = True) -> tuple[dict[str, str], int]:
        await fund_bankroll()
        telegram_id = new_telegram_id()
        opened = await deposit_api.post(
            "/api/v1/app/session", json={"init_data": init_data(telegram_id)}
        )
        assert opened.status_code == 201, opened.text
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        if accept:
            assert (await deposit_api.post("/api/v1/app/terms", headers=headers)).status_code == 200
        return headers, telegram_id

    return make


async def _invoices(engine, telegram_id: int) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT i.payload, i.amount FROM stars_invoices i"
                " JOIN players p ON p.id = i.player_id WHERE p.telegram_user_id = :t"
            ),
            {"t": telegram_id},
        )
        return [(r[0], r[1]) for r in rows.all()]


async def _xtr(api, headers) -> int:
    balances = (await api.get("/api/v1/app/balances", headers=headers)).json()["balances"]
    return sum(b["amount"] for b in balances if b["currency"] == "XTR")


async def test_the_prompt_comes_first_then_a_stars_link_for_the_recorded_invoice(
    deposit_api, player, telegram, engine, uow_factory, clock
):
    headers, telegram_id = await player()
    options = (await deposit_api.get("/api/v1/app/deposit", headers=headers)).json()
    assert options["prompt_due"] is True
    assert options["stars"] == {"amounts": [50, 100, 500, 1000], "min": 1, "max": 10_000}
    assert [c["asset"] for c in options["crypto"]] == ["USDT", "TON"]

    refused = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 100}, headers=headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "deposit_limit_prompt_due"
    assert not telegram.of(CreateInvoiceLink)
    assert await _invoices(engine, telegram_id) == []

    answered = await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"prompt_due": False}
    made = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 100}, headers=headers
    )
    assert made.status_code == 201, made.text
    body = made.json()
    (link,) = telegram.of(CreateInvoiceLink)
    assert body["link"].startswith("https://t.me/$")
    assert body["amount"] == {"amount": 100, "currency": "XTR"}
    assert link.payload == body["payload"]
    assert link.currency == "XTR"
    assert link.provider_token == ""
    assert [p.amount for p in link.prices] == [100]
    assert "XTR" not in link.title
    assert "100" in link.title
    assert await _invoices(engine, telegram_id) == [(body["payload"], 100)]
    # The bot's pre-checkout finds the invoice as it finds one sent in the chat; and nothing
    # was credited: the Stars come only with Telegram's successful_payment.
    checked = await CheckPreCheckout(uow_factory, clock, ResponsibleGamblingGuard())(
        body["payload"], telegram_id, 100, "XTR"
    )
    assert checked.payload == body["payload"]
    assert await _xtr(deposit_api, headers) == 0


async def test_a_deposit_limit_answers_the_prompt_and_then_binds(deposit_api, player, telegram):
    headers, _ = await player()
    limit = await deposit_api.put(
        "/api/v1/app/limits/deposit/24h", json={"amount": 200, "currency": "XTR"}, headers=headers
    )
    assert limit.status_code == 200, limit.text
    options = (await deposit_api.get("/api/v1/app/deposit", headers=headers)).json()
    assert options["prompt_due"] is False
    over = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 500}, headers=headers
    )
    assert over.status_code == 409, over.text
    assert over.json()["reason"] == "responsible_gambling.limit"
    assert not telegram.of(CreateInvoiceLink)
    within = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 150}, headers=headers
    )
    assert within.status_code == 201, within.text


async def test_a_crypto_invoice_once_per_request_id(deposit_api, player, provider):
    headers, _ = await player()
    assert (await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)).is_success
    tap = {"asset": "USDT", "amount": "12.5", "request_id": uuid.uuid4().hex}
    first = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["amount"] == {"amount": 12_500_000, "currency": "USDT"}
    assert made["pay_url"].startswith("https://t.me/")
    assert made["replayed"] is False
    # A double tap (or a retry after a lost answer): the same invoice, none made at Crypto Pay.
    again = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["reference"] == made["reference"]
    assert again.json()["replayed"] is True
    assert len(provider.invoices) == 1
    other = await deposit_api.post(
        "/api/v1/app/deposit/crypto", json={**tap, "amount": "13"}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["reason"] == "idempotency_conflict"
    assert len(provider.invoices) == 1


async def test_a_twin_of_an_invoice_being_created_is_told_to_ask_again(
    deposit_api, player, provider, engine
):
    """A request id whose invoice a twin request is creating at Crypto Pay right now (its
    "creating" mark held): 409 `crypto_invoice_being_created`, no provider call; once the
    mark's lease has ended, the same id gets the invoice (docs/payments-crypto.md)."""
    headers, telegram_id = await player()
    assert (await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)).is_success
    tap = {"asset": "USDT", "amount": "5", "request_id": uuid.uuid4().hex}
    reference = "cp:" + uuid.uuid4().hex
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO crypto_invoices (reference, player_id, idempotency_key, currency,"
                " amount, state, created_at, expires_at, creating_until)"
                " SELECT :r, id, :k, 'USDT', 5000000, 'pending', now(), now() + interval '1 hour',"
                " now() + interval '30 seconds' FROM players WHERE telegram_user_id = :t"
            ),
            {"r": reference, "k": "app:" + tap["request_id"], "t": telegram_id},
        )
    busy = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert busy.status_code == 409, busy.text
    assert busy.json()["reason"] == "crypto_invoice_being_created"
    assert busy.json()["code"] == "crypto_invoice_being_created"
    assert provider.invoices == []
    async with engine.begin() as conn:  # the twin died: its lease ends
        await conn.execute(
            text(
                "UPDATE crypto_invoices SET creating_until = now() - interval '1 second'"
                " WHERE reference = :r"
            ),
            {"r": reference},
        )
    made = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["reference"] == reference
    assert [i.payload for i in provider.invoices] == [reference]


@pytest.mark.parametrize("deposit_api", [{"velocity_deposits_per_hour": 1}], indirect=True)
async def test_the_deposits_per_hour_cap_holds_on_this_door(deposit_api, player, provider):
    """The cap counts new crypto invoices in the use case, whichever door asks (a repeat of
    the same request id is not a new one)."""
    headers, _ = await player()
    await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)
    tap = {"asset": "TON", "amount": "1", "request_id": uuid.uuid4().hex}
    first = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert first.status_code == 201, first.text
    again = await deposit_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert again.status_code == 201, again.text  # the same invoice, not counted again
    other = {**tap, "request_id": uuid.uuid4().hex}
    capped = await deposit_api.post("/api/v1/app/deposit/crypto", json=other, headers=headers)
    assert capped.status_code == 429, capped.text
    assert capped.json()["reason"] == "velocity_limited.deposit"
    assert len(provider.invoices) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"asset": "USDT", "amount": "12.1234567", "request_id": "a" * 12}, "amount"),
        ({"asset": "USDT", "amount": "ten", "request_id": "a" * 12}, "amount"),
        ({"asset": "BTC", "amount": "5", "request_id": "a" * 12}, "asset"),
        ({"asset": "USDT", "amount": "0.5", "request_id": "a" * 12}, None),  # below 1 USDT
        ({"asset": "USDT", "amount": "5", "request_id": "no spaces!"}, None),
    ],
)
async def test_bad_crypto_requests_are_problems_and_ask_no_provider(
    deposit_api, player, provider, body, field
):
    headers, _ = await player()
    assert (await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)).is_success
    refused = await deposit_api.post("/api/v1/app/deposit/crypto", json=body, headers=headers)
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in refused.text
    assert provider.invoices == []


async def test_a_player_who_may_not_deposit_is_told_why(deposit_api, player, telegram, provider):
    unconfirmed, _ = await player(accept=False)
    refused = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 50}, headers=unconfirmed
    )
    assert refused.status_code == 403
    assert refused.json()["reason"] == "terms_not_accepted"

    resting, _ = await player()
    await deposit_api.post("/api/v1/app/deposit/no-limit", headers=resting)
    await deposit_api.post("/api/v1/app/timeout", json={"period": "24h"}, headers=resting)
    for path, body in [
        ("stars", {"amount": 50}),
        ("crypto", {"asset": "TON", "amount": "1", "request_id": uuid.uuid4().hex}),
    ]:
        refused = await deposit_api.post(f"/api/v1/app/deposit/{path}", json=body, headers=resting)
        assert refused.status_code == 409, refused.text
        assert refused.json()["reason"] == "responsible_gambling.timeout"
    assert not telegram.of(CreateInvoiceLink)
    assert provider.invoices == []


async def test_without_crypto_pay_only_stars_are_offered(app_api, session):  # noqa: F811
    headers = await session()
    options = (await app_api.get("/api/v1/app/deposit", headers=headers)).json()
    assert options["crypto"] == []
    assert (await app_api.post("/api/v1/app/deposit/no-limit", headers=headers)).is_success
    tap = {"asset": "USDT", "amount": "5", "request_id": uuid.uuid4().hex}
    refused = await app_api.post("/api/v1/app/deposit/crypto", json=tap, headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "crypto_deposit_unavailable"


async def test_no_link_from_telegram_is_a_503_to_try_again(deposit_api, player, telegram):
    headers, _ = await player()
    await deposit_api.post("/api/v1/app/deposit/no-limit", headers=headers)

    async def down(*_args, **_kwargs):
        raise ConnectionError("Telegram is away")

    telegram.make_request = down  # type: ignore[method-assign]
    refused = await deposit_api.post(
        "/api/v1/app/deposit/stars", json={"amount": 50}, headers=headers
    )
    assert refused.status_code == 503, refused.text
    assert refused.json()["reason"] == "invoice_link_unavailable"
