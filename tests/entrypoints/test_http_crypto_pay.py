"""Crypto Pay's webhook door through the real Litestar app (tests/fake_crypto_pay_server.py
plays the provider): a genuine `invoice_paid` credits once however often it is delivered; a
forged or missing signature, or a body changed after signing, is a 401 problem and writes
nothing; a wrong secret path is a 404; a paid amount other than the invoice's is held, not
credited; without a token the door is not there."""

from __future__ import annotations

import dataclasses
import json
import secrets

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from adapters.crypto_pay import CryptoPayClient
from application.crypto_pay import DepositInCrypto
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from tests.entrypoints.fast_hashing import FastPasswordHashing
from tests.fake_crypto_pay_server import FakeCryptoPayServer, sign
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

PATH = "hook-" + secrets.token_hex(12)
FIVE = 5_000_000


@pytest.fixture
async def provider():
    server = await FakeCryptoPayServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def door(servers, http_settings, provider):
    settings = dataclasses.replace(
        http_settings,
        crypto_pay_token=provider.token,
        crypto_pay_host=provider.url,
        crypto_pay_webhook_path=PATH,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    app = create_app(make_http_container(settings, endpoints, FastPasswordHashing()))
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def invoice(uow_factory, clock, ids, provider, new_telegram_id):
    """A player's active 5 USDT invoice at the provider: (player id, provider invoice id)."""
    client = CryptoPayClient(provider.token, provider.url)
    deposit = DepositInCrypto(
        uow_factory, clock, ids, ResponsibleGamblingGuard(), client, CryptoPayConfig(enabled=True)
    )

    async def make() -> tuple[int, int]:
        started = await StartPlayer(uow_factory, clock)(
            new_telegram_id(), username=None, language="en"
        )
        await AcceptTerms(uow_factory, clock)(started.player.id)
        await AnswerDepositPrompt(uow_factory, clock)(started.player.id)  # "No limit for now"
        made = await deposit(started.player.id, "USDT", FIVE, secrets.token_hex(4))
        assert made.invoice.provider_invoice_id is not None
        return started.player.id, made.invoice.provider_invoice_id

    yield make
    await client.close()


async def _usdt(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT coalesce(sum(balance), 0) FROM accounts WHERE player_id = :p"
                    " AND currency = 'USDT' AND kind = 'player_wallet'"
                ),
                {"p": player_id},
            )
        )


async def _deliver(door, body: bytes, headers: dict[str, str], path: str = PATH):
    return await door.post(
        f"/crypto-pay/webhook/{path}",
        content=body,
        headers={**headers, "content-type": "application/json"},
    )


async def test_a_paid_webhook_credits_once_however_often_it_comes(door, provider, invoice, engine):
    player_id, invoice_id = await invoice()
    provider.pay(invoice_id)
    body, headers = provider.webhook(invoice_id)
    for _ in range(3):  # Crypto Pay retries; a replay answers 200 and changes nothing
        response = await _deliver(door, body, headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True}
    again_body, again_headers = provider.webhook(invoice_id)  # a new update id, same invoice
    assert (await _deliver(door, again_body, again_headers)).status_code == 200
    assert await _usdt(engine, player_id) == FIVE


@pytest.mark.parametrize(
    "forge",
    [
        lambda body, headers: (body, {"crypto-pay-api-signature": sign("1:other-token", body)}),
        lambda body, headers: (body, {}),
        lambda body, headers: (body, {"crypto-pay-api-signature": "zz" * 32}),
        # The body changed after signing: the amount doubled.
        lambda body, headers: (body.replace(b'"5"', b'"10"'), headers),
        # Re-serialised JSON (same content, other bytes): the signature is on the raw body.
        lambda body, headers: (json.dumps(json.loads(body), indent=1).encode(), headers),
    ],
    ids=["other-token", "missing", "garbage", "tampered", "reserialised"],
)
async def test_a_forged_webhook_is_401_and_writes_nothing(door, provider, invoice, engine, forge):
    player_id, invoice_id = await invoice()
    provider.pay(invoice_id)
    body, headers = forge(*provider.webhook(invoice_id))
    before = await row_counts(engine)
    response = await _deliver(door, body, headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad_signature"
    assert await row_counts(engine) == before
    assert await _usdt(engine, player_id) == 0


async def test_a_wrong_path_is_404_and_another_update_is_ignored(door, provider, invoice, engine):
    player_id, invoice_id = await invoice()
    provider.pay(invoice_id)
    body, headers = provider.webhook(invoice_id)
    assert (await _deliver(door, body, headers, path="hook-guessed-wrong-path")).status_code == 404
    other = json.dumps({"update_type": "invoice_created", "payload": {}}).encode()
    signed = {"crypto-pay-api-signature": sign(provider.token, other)}
    assert (await _deliver(door, other, signed)).status_code == 200
    junk = b"not json at all"
    assert (
        await _deliver(door, junk, {"crypto-pay-api-signature": sign(provider.token, junk)})
    ).status_code == 200
    assert await _usdt(engine, player_id) == 0


async def test_a_mismatched_amount_is_held_for_staff_not_credited(door, provider, invoice, engine):
    player_id, invoice_id = await invoice()
    provider.pay(invoice_id, paid_asset="USDT", paid_amount="0.5")
    body, headers = provider.webhook(invoice_id)
    for _ in range(2):
        assert (await _deliver(door, body, headers)).status_code == 200
    assert await _usdt(engine, player_id) == 0
    async with engine.connect() as conn:
        state = await conn.scalar(
            text("SELECT state FROM crypto_invoices WHERE provider_invoice_id = :i"),
            {"i": invoice_id},
        )
        flags = await conn.scalar(
            text(
                "SELECT count(*) FROM risk_flags WHERE player_id = :p AND kind = 'payment_mismatch'"
            ),
            {"p": player_id},
        )
    assert (state, flags) == ("held", 1)


async def test_without_a_token_the_door_is_not_there(api):
    body = b'{"update_type": "invoice_paid"}'
    response = await api.post(
        "/crypto-pay/webhook/anything-at-all-here",
        content=body,
        headers={"crypto-pay-api-signature": sign("x", body)},
    )
    assert response.status_code == 404


async def test_a_body_larger_than_any_webhook_is_refused_unread(door, provider, engine):
    body = b'{"update_type": "invoice_paid", "pad": "' + b"x" * 70_000 + b'"}'
    before = await row_counts(engine)
    response = await _deliver(door, body, {"crypto-pay-api-signature": sign(provider.token, body)})
    assert response.status_code == 413
    assert await row_counts(engine) == before
