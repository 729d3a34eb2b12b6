"""`croupier crypto-pay poll` against a local fake Crypto Pay (in a thread of its own: the
command runs its own event loop), and the poller `croupier run` starts: a paid invoice whose
webhook was missed is credited, a provider that is down changes nothing and says so, no token
is a clear refusal; `croupier crypto-pay balance` agreeing with the provider, and failing on a
forged difference."""

from __future__ import annotations

import asyncio
import secrets
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from adapters.crypto_pay import CryptoPayClient
from application.crypto_pay import DepositInCrypto
from application.onboarding import AcceptTerms, StartPlayer
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from entrypoints.cli import main
from entrypoints.cli.crypto_pay_jobs import start_crypto_pay_jobs
from entrypoints.settings import Settings
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def threaded_provider():
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


async def test_poll_credits_a_missed_webhook_and_says_when_the_provider_is_down(
    servers, threaded_provider, uow_factory, clock, ids, new_telegram_id, engine
):
    provider = threaded_provider
    client = CryptoPayClient(provider.token, provider.url)
    deposit = DepositInCrypto(
        uow_factory, clock, ids, ResponsibleGamblingGuard(), client, CryptoPayConfig(enabled=True)
    )
    started = await StartPlayer(uow_factory, clock)(new_telegram_id(), username=None, language="en")
    await AcceptTerms(uow_factory, clock)(started.player.id)
    await AnswerDepositPrompt(uow_factory, clock)(started.player.id)  # "No limit for now"
    made = await deposit(started.player.id, "TON", 10**9, secrets.token_hex(4))
    provider.pay(made.invoice.provider_invoice_id)
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_CRYPTO_PAY_TOKEN": provider.token,
        "CROUPIER_CRYPTO_PAY_HOST": provider.url,
        "CROUPIER_CRYPTO_PAY_TIMEOUT_S": "2",
    }
    runner = CliRunner()
    polled = await asyncio.to_thread(runner.invoke, main, ["crypto-pay", "poll"], env=env)
    assert polled.exit_code == 0, polled.output
    assert ": 0 credited" not in polled.output  # this invoice, at least
    async with engine.connect() as conn:
        state = await conn.scalar(
            text("SELECT state FROM crypto_invoices WHERE reference = :r"),
            {"r": made.invoice.reference},
        )
    assert state == "paid"

    await deposit(started.player.id, "TON", 10**9, secrets.token_hex(4))  # one open invoice
    await client.close()
    provider.stop_now()
    down = await asyncio.to_thread(runner.invoke, main, ["crypto-pay", "poll"], env=env)
    assert down.exit_code == 1
    assert "did not answer" in down.output
    assert "Traceback" not in down.output

    off = await asyncio.to_thread(
        runner.invoke,
        main,
        ["crypto-pay", "poll"],
        env={k: v for k, v in env.items() if "CRYPTO" not in k},
    )
    assert off.exit_code == 1
    assert "CROUPIER_CRYPTO_PAY_TOKEN" in off.output


async def test_croupier_run_polls_only_with_a_token_and_a_part_that_serves_it() -> None:
    stop = asyncio.Event()
    off = Settings()
    on = Settings(crypto_pay_token="1:t")
    assert start_crypto_pay_jobs(off, None, stop, frozenset({"bot", "http"})) == []  # type: ignore[arg-type]
    assert start_crypto_pay_jobs(on, None, stop, frozenset({"grpc", "relay"})) == []  # type: ignore[arg-type]
    tasks = start_crypto_pay_jobs(on, None, stop, frozenset({"bot"}))  # type: ignore[arg-type]
    assert len(tasks) == 1
    # Beside the http part (the staff's decisions), the payout run too.
    tasks += start_crypto_pay_jobs(on, None, stop, frozenset({"http"}))  # type: ignore[arg-type]
    assert len(tasks) == 3
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


async def test_balance_compares_the_books_with_the_provider_and_fails_on_a_difference(
    servers, threaded_provider, engine
):
    provider = threaded_provider
    async with engine.connect() as conn:
        held = dict(
            (
                await conn.execute(
                    text(
                        "SELECT currency, -sum(balance) FROM accounts"
                        " WHERE kind = 'crypto_pay_held' GROUP BY currency"
                    )
                )
            ).all()
        )
    usdt, ton = int(held.get("USDT", 0)), int(held.get("TON", 0))
    provider.balance = {"USDT": _decimal(usdt, 6), "TON": _decimal(ton, 9)}
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_CRYPTO_PAY_TOKEN": provider.token,
        "CROUPIER_CRYPTO_PAY_HOST": provider.url,
    }
    runner = CliRunner()
    agreed = await asyncio.to_thread(runner.invoke, main, ["crypto-pay", "balance"], env=env)
    assert agreed.exit_code == 0, agreed.output
    assert agreed.output.count("they agree") == 2
    # A forged difference: one nanoton more at the provider than the books explain.
    provider.balance["TON"] = _decimal(ton + 1, 9)
    differ = await asyncio.to_thread(runner.invoke, main, ["crypto-pay", "balance"], env=env)
    assert differ.exit_code == 1
    assert "DIFFERENCE +0.000000001 TON" in differ.output
    assert "does not match the books" in differ.output


def _decimal(minor: int, places: int) -> str:
    whole, fraction = divmod(minor, 10**places)
    return f"{whole}.{fraction:0{places}d}"
