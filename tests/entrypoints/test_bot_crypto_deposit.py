"""A USDT deposit through the bot's real Dispatcher (a mocked Bot API) against a local fake of
Crypto Pay (tests/fake_crypto_pay_server.py): the assets beside the Stars amounts, an asset's
amounts, the invoice with its pay link (a URL button), a double tap making one invoice, the
signed webhook crediting it, the balance showing it; a timed-out player is told why before any
amount; the provider down is a polite message; the prompt at the first deposit (UKGC RTS 12)
comes before any crypto invoice, whatever old button or typed amount asks for one; a tap while
its twin is creating the invoice is asked to wait a moment. Transcripts:
.croupier/test/transcripts/bot-crypto-deposit-<language>.txt (copied to docs/transcripts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from application.responsible import StartTimeout
from domain.responsible import TimeoutPeriod
from entrypoints.bot.crypto_deposit import CryptoAmount, CryptoType
from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Care, Menu
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401
from tests.entrypoints.bot_crypto import (  # noqa: F401 (fixtures)
    BALANCE,
    DEPOSIT,
    USDT,
    amounts_of_usdt,
    crypto_bot,
    pay_invoice,
    provider,
    runtime,
)
from tests.entrypoints.bot_player import _player_id as _telegram_player_id

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _player_id(engine, me: Chat) -> int:
    return await _telegram_player_id(engine, me.player)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_usdt_deposit_through_the_bot_is_paid_and_credited_once(
    ready_player,
    chat,  # noqa: F811
    crypto_bot,  # noqa: F811
    provider,  # noqa: F811
    engine,
    language,
):
    container, _ = crypto_bot
    t = Translator(language)
    me = chat(await ready_player(language))
    await amounts_of_usdt(me, t, container, engine)
    ten = next(data for label, data in buttons(me.shown()).items() if label == "10 USDT")
    assert CryptoAmount.unpack(ten).amount == 10
    await me.tap("10 USDT", ten)
    await me.tap("10 USDT", ten)  # a double tap: the same invoice, asked once
    creates = [c for c in provider.calls if c[0] == "createInvoice"]
    mine = [c for c in creates if c[1]["amount"] == "10"]
    assert len({c[1]["payload"] for c in mine}) == len(mine)  # one per tap-screen
    invoice = next(i for i in provider.invoices.values() if i["payload"] == mine[-1][1]["payload"])
    screen = me.shown()
    assert screen.text == t("deposit.crypto.invoice", amount="10 USDT", minutes=60)
    (pay,) = [b for row in screen.reply_markup.inline_keyboard for b in row if b.url]
    assert pay.url == invoice["bot_invoice_url"]
    assert pay.text == t("deposit.crypto.pay_button", amount="10 USDT")
    async with engine.connect() as conn:
        invoices = await conn.scalar(
            text("SELECT count(*) FROM crypto_invoices WHERE player_id = :p"),
            {"p": await _player_id(engine, me)},
        )
    assert invoices == 1

    # The player pays in @CryptoBot; Crypto Pay's signed webhook arrives (twice).
    await pay_invoice(container, provider, invoice["invoice_id"], times=2)
    me.lines.append("(the player pays 10 USDT in @CryptoBot; Crypto Pay's webhook arrives twice)")
    await me.tap(t("menu.balance"), BALANCE)
    assert "10 USDT" in me.shown().text
    me.write(f"bot-crypto-deposit-{language}.txt")


async def test_a_paused_player_is_told_why_before_any_amount_and_a_down_provider_politely(
    ready_player,
    chat,  # noqa: F811
    crypto_bot,  # noqa: F811
    provider,  # noqa: F811
    engine,
):
    container, _ = crypto_bot
    t = Translator("en")
    me = chat(await ready_player("en"))
    await amounts_of_usdt(me, t, container, engine)
    five = buttons(me.shown())["5 USDT"]
    provider.mode = "error500"
    try:
        await me.tap("5 USDT", five)
    finally:
        provider.mode = "ok"
    assert t("deposit.crypto.provider_down") in "\n".join(me.lines)
    async with container() as scope:
        await (await scope.get(StartTimeout))(await _player_id(engine, me), TimeoutPeriod.DAY)
    await me.tap(t("menu.deposit"), DEPOSIT)
    await me.tap(t("deposit.crypto.asset_button", icon="💵", asset="USDT"), USDT)
    assert "5 USDT" not in buttons(me.shown())  # the break is shown, not the amounts
    asked = len(provider.calls)
    await me.tap("5 USDT", five)  # an old screen's button: refused by the use case
    assert len(provider.calls) == asked  # the provider is not asked on a break
    async with engine.connect() as conn:
        states = (
            (
                await conn.execute(
                    text("SELECT state FROM crypto_invoices WHERE player_id = :p"),
                    {"p": await _player_id(engine, me)},
                )
            )
            .scalars()
            .all()
        )
    # The 500's invoice never reached the player (its outcome unknown, it stays pending until
    # the poller expires it); tapping its button again on a break is refused, not offered.
    assert list(states) == ["pending"]
    me.write("bot-crypto-deposit-refusals-en.txt")


async def test_an_amount_typed_is_read_exactly_and_junk_politely(
    ready_player,
    chat,  # noqa: F811
    crypto_bot,  # noqa: F811
    provider,  # noqa: F811
    engine,
):
    container, _ = crypto_bot
    t = Translator("en")
    me = chat(await ready_player("en"))
    await amounts_of_usdt(me, t, container, engine)
    await me.tap(t("deposit.crypto.type_button"), CryptoType(asset="USDT").pack())
    bounds = {"min": "1 USDT", "max": "10000 USDT"}
    assert me.shown().text == t("deposit.crypto.type_ask", asset="USDT", **bounds)
    await me.say("lots")
    assert me.shown().text == t("deposit.crypto.type_not_a_number", asset="USDT")
    await me.say("0.5")
    assert me.shown().text == t("deposit.crypto.type_out_of_bounds", **bounds)
    await me.say("12.1234567")  # finer than a USDT's millionth: never rounded
    assert me.shown().text == t("deposit.crypto.type_not_a_number", asset="USDT")
    await me.say("9" * 19)  # beyond any amount the books hold: the same polite answer
    assert me.shown().text == t("deposit.crypto.type_not_a_number", asset="USDT")
    await me.say("12.5 usdt")
    assert me.shown().text == t("deposit.crypto.invoice", amount="12.5 USDT", minutes=60)
    (call,) = [c for c in provider.calls if c[0] == "createInvoice" and c[1]["amount"] == "12.5"]
    assert call[1]["asset"] == "USDT"
    await me.say("20")  # the prompt is over: a number now is no deposit
    assert (
        len([c for c in provider.calls if c[0] == "createInvoice" and c[1]["amount"] == "20"]) == 0
    )
    me.write("bot-crypto-deposit-typed-en.txt")


def _creates(fake, amount: str) -> int:
    """How many invoices of `amount` USDT Crypto Pay was asked for (the module shares it)."""
    return len(
        [
            c
            for c in fake.calls
            if c[0] == "createInvoice" and c[1]["asset"] == "USDT" and c[1]["amount"] == amount
        ]
    )


async def _invoices(engine, me: Chat) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT count(*) FROM crypto_invoices WHERE player_id = :p"),
            {"p": await _player_id(engine, me)},
        )


async def test_old_usdt_buttons_show_the_prompt_not_an_invoice_until_answered(
    ready_player,
    chat,  # noqa: F811
    provider,  # noqa: F811
    engine,
):
    """A player who never answered the prompt taps buttons of a USDT screen kept from before
    (the asset, an amount, "Type an amount"): the prompt each time, Crypto Pay never asked;
    after "No limit for now" the same old amount button makes its invoice."""
    t = Translator("en")
    me = chat(await ready_player("en"))
    old_amount = CryptoAmount(asset="USDT", amount=25, press="01d5c4ee").pack()
    asked = _creates(provider, "25")
    await me.tap("25 USDT (an old screen)", old_amount)
    assert me.shown().text == t("deposit_prompt.ask")
    assert buttons(me.shown())[t("deposit_prompt.no_limit")] == DepositPromptAnswer().pack()
    await me.tap("💵 Deposit USDT (an old screen)", USDT)
    assert me.shown().text == t("deposit_prompt.ask")
    await me.tap(t("deposit.crypto.type_button"), CryptoType(asset="USDT").pack())
    assert me.shown().text == t("deposit_prompt.ask")  # no amount is asked for
    await me.say("25")  # and a number sent now is no deposit
    assert _creates(provider, "25") == asked
    assert await _invoices(engine, me) == 0

    await me.tap(t("menu.deposit"), DEPOSIT)
    assert me.shown().text == t("deposit_prompt.ask")
    await me.tap(t("deposit_prompt.no_limit"), DepositPromptAnswer().pack())
    assert me.shown().text == t("deposit.choose_with_crypto")
    await me.tap("25 USDT (the same old screen)", old_amount)
    assert me.shown().text == t("deposit.crypto.invoice", amount="25 USDT", minutes=60)
    assert _creates(provider, "25") == asked + 1
    assert await _invoices(engine, me) == 1
    me.write("bot-crypto-deposit-prompt-en.txt")


async def test_an_amount_typed_when_the_prompt_is_owed_shows_the_prompt(
    ready_player,
    chat,  # noqa: F811
    provider,  # noqa: F811
    engine,
):
    """Asked for a typed amount while a deposit limit answered the prompt; the limit is gone
    when the amount arrives: the prompt, not an invoice; answered, a typed amount makes one."""
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    await me.tap(t("care.kind.deposit"), Care(action="kind", kind="deposit").pack())
    await me.tap(t("care.period.24h"), Care(action="period", kind="deposit", period="24h").pack())
    await me.tap("500 ⭐", Care(action="set", kind="deposit", period="24h", value=500).pack())
    await me.tap(t("deposit.crypto.type_button"), CryptoType(asset="USDT").pack())
    assert me.shown().text == t(
        "deposit.crypto.type_ask", asset="USDT", min="1 USDT", max="10000 USDT"
    )
    async with engine.begin() as conn:  # the limit's removal takes effect meanwhile
        await conn.execute(
            text("DELETE FROM responsible_limits WHERE player_id = :p AND kind = 'deposit'"),
            {"p": await _player_id(engine, me)},
        )
    me.lines.append("(meanwhile the player's deposit limit is removed: the prompt is owed again)")
    asked = _creates(provider, "13.5")
    await me.say("13.5")
    assert me.shown().text == t("deposit_prompt.ask")
    assert _creates(provider, "13.5") == asked
    assert await _invoices(engine, me) == 0

    await me.tap(t("deposit_prompt.no_limit"), DepositPromptAnswer().pack())
    await me.tap(t("deposit.crypto.type_button"), CryptoType(asset="USDT").pack())
    await me.say("13.5")
    assert me.shown().text == t("deposit.crypto.invoice", amount="13.5 USDT", minutes=60)
    assert _creates(provider, "13.5") == asked + 1
    me.write("bot-crypto-deposit-prompt-typed-en.txt")


async def test_a_tap_while_its_twin_creates_the_invoice_is_told_to_wait_a_moment(
    ready_player,
    chat,  # noqa: F811
    crypto_bot,  # noqa: F811
    provider,  # noqa: F811
    engine,
):
    """The second of a double tap arriving while the first is asking Crypto Pay (the invoice's
    "creating" mark held; docs/payments-crypto.md, "A double tap"): a polite "try again in a
    moment", no provider call; the next tap, once the first is done, shows the invoice."""
    container, _ = crypto_bot
    t = Translator("en")
    me = chat(await ready_player("en"))
    await amounts_of_usdt(me, t, container, engine)
    twenty_five = buttons(me.shown())["25 USDT"]
    provider.mode = "error500"  # the first tap's invoice stays pending (the outcome unknown)
    try:
        await me.tap("25 USDT", twenty_five)
    finally:
        provider.mode = "ok"
    player_id = await _player_id(engine, me)
    mark = "UPDATE crypto_invoices SET creating_until = now() + :shift WHERE player_id = :p"
    async with engine.begin() as conn:  # as if that tap were still asking Crypto Pay
        await conn.execute(text(mark), {"shift": timedelta(seconds=30), "p": player_id})
    me.lines.append("(another tap of this button is asking Crypto Pay right now)")
    asked = len(provider.calls)
    await me.tap("25 USDT", twenty_five)
    assert t("deposit.crypto.being_created") in "\n".join(me.lines)
    assert len(provider.calls) == asked
    async with engine.begin() as conn:  # the first tap is done: its answer was lost
        await conn.execute(text(mark), {"shift": timedelta(seconds=-1), "p": player_id})
    me.lines.append("(a moment later, that tap is done)")
    await me.tap("25 USDT", twenty_five)
    assert me.shown().text == t("deposit.crypto.invoice", amount="25 USDT", minutes=60)
    me.write("bot-crypto-deposit-being-created-en.txt")
