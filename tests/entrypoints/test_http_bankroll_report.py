"""The bankroll report through the real Litestar app and `croupier bankroll show`, on
PostgreSQL, with a local fake Crypto Pay (tests/fake_crypto_pay_server.py): per currency the
bankroll summed over its shards and the players' money as the accounts hold them; for USDT
and TON the money held at Crypto Pay by the books against getBalance, agreeing, differing,
and "not answered" with the provider stopped (200, the rest of the report answered); JSON and
CSV; any staff role, nobody else (401). Other tests share the database, so the expected
totals are read from the accounts, not assumed."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import secrets
import threading
from decimal import Decimal

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from adapters.crypto_pay import CryptoPayClient
from application.crypto_pay import CreditCryptoInvoice, DepositInCrypto, PollCryptoInvoices
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW
from entrypoints.cli import main
from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from tests.entrypoints.fast_hashing import FastPasswordHashing
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

REPORT = "/api/v1/reports/bankroll"


@pytest.fixture
def provider():
    """The fake Crypto Pay in a thread of its own: the CLI runs its own event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(FakeCryptoPayServer().start(), loop).result(10)

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)

    server.stop_now = stop  # type: ignore[attr-defined]
    yield server
    stop()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
async def door(servers, http_settings, provider):
    settings = dataclasses.replace(
        http_settings,
        crypto_pay_token=provider.token,
        crypto_pay_host=provider.url,
        crypto_pay_timeout_s=2.0,
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    app = create_app(make_http_container(settings, endpoints, FastPasswordHashing()))
    async with AsyncTestClient(app=app) as client:
        yield client


async def _deposit_usdt(provider, uow_factory, clock, ids, house, new_telegram_id) -> None:
    """A player pays a 20 USDT invoice: the books' money at Crypto Pay grows by it."""
    client = CryptoPayClient(provider.token, provider.url)
    try:
        deposit = DepositInCrypto(
            uow_factory, clock, ids, ResponsibleGamblingGuard(), client, CryptoPayConfig(True)
        )
        started = await StartPlayer(uow_factory, clock)(
            new_telegram_id(), username=None, language="en"
        )
        await AcceptTerms(uow_factory, clock)(started.player.id)
        # The first deposit's prompt (UKGC RTS 12), answered "no limit for now".
        await AnswerDepositPrompt(uow_factory, clock)(started.player.id)
        made = await deposit(started.player.id, "USDT", 20_000_000, secrets.token_hex(4))
        provider.pay(made.invoice.provider_invoice_id)
        credit = CreditCryptoInvoice(uow_factory, clock, ids, house, DEFAULT_RISK_REVIEW)
        assert (await PollCryptoInvoices(uow_factory, clock, client, credit)()).credited >= 1
    finally:
        await client.close()


async def _sums(engine) -> dict[tuple[str, str], int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT currency, kind, sum(balance) FROM accounts GROUP BY currency, kind")
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}


def _usdt(minor: int) -> str:
    return format(Decimal(minor).scaleb(-6).normalize(), "f")


async def test_the_report_shows_the_house_money_and_crypto_pay_agreeing_or_not(
    door, staff, provider, engine, uow_factory, clock, ids, house, new_telegram_id, fund_bankroll
):
    await fund_bankroll()
    await _deposit_usdt(provider, uow_factory, clock, ids, house, new_telegram_id)
    sums = await _sums(engine)
    books_usdt = -sums[("USDT", "crypto_pay_held")]
    provider.balance["USDT"] = _usdt(books_usdt)  # the app holds what the books say
    provider.balance["TON"] = _usdt(0)
    viewer = await staff("viewer")  # a token of the same signing key: valid at `door` too

    assert (await door.get(REPORT)).status_code == 401  # staff only
    response = await door.get(REPORT, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["generated_at"]
    rows = {r["currency"]: r for r in body["rows"]}
    assert {"XTR", "USDT", "TON"} <= set(rows)
    for code, row in rows.items():
        assert row["bankroll"] == sums.get((code, "house_bankroll"), 0)
        assert row["player_balances"] == sums.get((code, "player_wallet"), 0)
        in_flight = sums.get((code, "withdrawals_pending"), 0)
        in_flight += sums.get((code, "payout_clearing"), 0)
        assert row["withdrawals_in_flight"] == in_flight
        assert row["liability"] == (
            row["player_balances"] + row["bets_in_play"] + row["withdrawals_in_flight"]
        )
    usdt = rows["USDT"]
    assert usdt["crypto_pay_books"] == books_usdt >= 20_000_000
    assert usdt["crypto_pay_reported"] == books_usdt
    assert (usdt["crypto_pay_difference"], usdt["crypto_pay"]) == (0, "agree")
    assert rows["XTR"]["crypto_pay"] is None  # Stars are not held at Crypto Pay
    assert rows["XTR"]["crypto_pay_books"] is None

    provider.balance["USDT"] = _usdt(books_usdt - 1)  # a millionth of a dollar missing
    usdt = {r["currency"]: r for r in (await door.get(REPORT, headers=viewer)).json()["rows"]}
    assert (usdt["USDT"]["crypto_pay_difference"], usdt["USDT"]["crypto_pay"]) == (
        -1,
        "difference",
    )

    csv_answer = await door.get(REPORT, params={"format": "csv"}, headers=viewer)
    assert csv_answer.status_code == 200
    assert csv_answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "bankroll_" in csv_answer.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert list(table[0]) == [
        "currency",
        "bankroll",
        "player_balances",
        "bets_in_play",
        "withdrawals_in_flight",
        "liability",
        "bonus_balances",
        "crypto_pay_books",
        "crypto_pay_reported",
        "crypto_pay_difference",
        "crypto_pay",
    ]
    by_code = {r["currency"]: r for r in table}
    assert by_code["USDT"]["crypto_pay"] == "difference"
    assert by_code["XTR"]["crypto_pay"] == ""
    bad = await door.get(REPORT, params={"format": "xml"}, headers=viewer)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_crypto_pay_down_is_not_answered_never_an_error(
    door, staff, provider, engine, uow_factory, clock, ids, house, new_telegram_id
):
    await _deposit_usdt(provider, uow_factory, clock, ids, house, new_telegram_id)
    books_usdt = -(await _sums(engine))[("USDT", "crypto_pay_held")]
    finance = await staff("finance")
    provider.stop_now()  # Crypto Pay down: connections refused
    response = await door.get(REPORT, headers=finance)
    assert response.status_code == 200, response.text
    rows = {r["currency"]: r for r in response.json()["rows"]}
    usdt = rows["USDT"]
    assert usdt["crypto_pay"] == "not answered"
    assert usdt["crypto_pay_books"] == books_usdt  # the books still say
    assert usdt["crypto_pay_reported"] is None
    assert usdt["crypto_pay_difference"] is None
    assert rows["XTR"]["bankroll"] == (await _sums(engine)).get(("XTR", "house_bankroll"), 0)


async def test_croupier_bankroll_show_prints_the_report(servers, provider, engine, fund_bankroll):
    await fund_bankroll()
    books_usdt = -(await _sums(engine)).get(("USDT", "crypto_pay_held"), 0)
    provider.balance["USDT"] = _usdt(books_usdt)
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_CRYPTO_PAY_TOKEN": provider.token,
        "CROUPIER_CRYPTO_PAY_HOST": provider.url,
        "CROUPIER_CRYPTO_PAY_TIMEOUT_S": "2",
    }
    runner = CliRunner()
    shown = await asyncio.to_thread(runner.invoke, main, ["bankroll", "show"], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Bankroll report, ")
    assert lines[0].endswith(" UTC")
    stars = next(line for line in lines if line.startswith("XTR: bankroll "))
    bankroll = (await _sums(engine))[("XTR", "house_bankroll")]
    assert stars.startswith(f"XTR: bankroll {bankroll} XTR; owed to players ")
    usdt = lines[lines.index(next(line for line in lines if line.startswith("USDT:"))) + 1]
    assert usdt == (
        f"  at Crypto Pay: books {_usdt(books_usdt)} USDT, Crypto Pay {_usdt(books_usdt)} USDT: "
        "they agree"
    )

    provider.stop_now()
    down = await asyncio.to_thread(runner.invoke, main, ["bankroll", "show"], env=env)
    assert down.exit_code == 0, down.output
    assert f"  at Crypto Pay: books {_usdt(books_usdt)} USDT, Crypto Pay not answered" in (
        down.stdout.splitlines()
    )
