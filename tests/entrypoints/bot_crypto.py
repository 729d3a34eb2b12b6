"""A bot with Crypto Pay on, against a local fake of Crypto Pay (tests/fake_crypto_pay_server.py),
and a USDT deposit made through it as a player makes one: shared by the bot's crypto deposit
tests and the end-to-end test that then bets with the USDT (test_usdt_deposit_then_play.py).
A test module imports the fixtures it uses (`provider`, `crypto_bot`, `runtime`)."""

from __future__ import annotations

import pytest

from application.crypto_pay import CreditCryptoInvoice
from application.ports import CryptoPayWebhooks
from application.responsible import AnswerDepositPrompt
from entrypoints.bot.crypto_deposit import CryptoAmount, CryptoAsset
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from tests.entrypoints.bot_chat import Chat, buttons
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.conftest import bot_runtime
from tests.fake_crypto_pay_server import FakeCryptoPayServer

DEPOSIT = Menu(action="deposit").pack()
BALANCE = Menu(action="balance").pack()
USDT = CryptoAsset(asset="USDT").pack()


@pytest.fixture(scope="module")
async def provider():
    server = await FakeCryptoPayServer().start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def crypto_bot(servers, tmp_path_factory, provider):
    container, runtime = await bot_runtime(
        servers,
        tmp_path_factory.mktemp("bot-crypto"),
        crypto_pay_token=provider.token,
        crypto_pay_host=provider.url,
        crypto_pay_timeout_s=0.5,
    )
    yield container, runtime
    await container.close()


@pytest.fixture(scope="module")
def runtime(crypto_bot):
    """The bot of the module: Crypto Pay on, against the fake provider."""
    return crypto_bot[1]


async def amounts_of_usdt(me: Chat, t: Translator, container, engine) -> None:
    """From the menu to the USDT amounts, the first deposit's prompt answered before."""
    async with container() as scope:  # "No limit for now", answered before (its own test)
        await (await scope.get(AnswerDepositPrompt))(await _player_id(engine, me.player))
    await me.tap(t("menu.deposit"), DEPOSIT)
    shown = buttons(me.shown())
    assert me.shown().text == t("deposit.choose_with_crypto")
    assert shown[t("deposit.crypto.asset_button", icon="💵", asset="USDT")] == USDT
    assert shown["100 ⭐"]  # the Stars amounts stay
    await me.tap(t("deposit.crypto.asset_button", icon="💵", asset="USDT"), USDT)
    assert me.shown().text == t("deposit.crypto.choose", asset="USDT")


async def pay_invoice(container, provider, invoice_id: int, *, times: int = 1) -> None:
    """The player pays the invoice in @CryptoBot; Crypto Pay's signed webhook arrives (`times`
    times) and is read and credited as the HTTP webhook route does."""
    provider.pay(invoice_id)
    body, headers = provider.webhook(invoice_id)
    reader = await container.get(CryptoPayWebhooks)
    for _ in range(times):
        async with container() as scope:
            credit = await scope.get(CreditCryptoInvoice)
            await credit(reader.read(body, headers["crypto-pay-api-signature"]))


async def deposit_usdt(me: Chat, t: Translator, container, engine, provider, amount: int) -> None:
    """`amount` whole USDT deposited through the bot's button of that amount, paid and
    credited by the webhook."""
    await amounts_of_usdt(me, t, container, engine)
    label = f"{amount} USDT"
    data = buttons(me.shown())[label]
    assert CryptoAmount.unpack(data).amount == amount
    await me.tap(label, data)
    payload = next(
        c[1]["payload"]
        for c in reversed(provider.calls)
        if c[0] == "createInvoice" and c[1]["amount"] == str(amount)
    )
    invoice = next(i for i in provider.invoices.values() if i["payload"] == payload)
    await pay_invoice(container, provider, invoice["invoice_id"])
    me.lines.append(f"(the player pays {label} in @CryptoBot; Crypto Pay's webhook arrives)")
