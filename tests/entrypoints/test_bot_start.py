"""The bot's first contact, end to end (real aiogram updates through the Dispatcher, a fake
Bot API session, the real database and Redis): /start and the 18+ gate that money waits for,
the player's language, the support commands, a blocked player's /start, and updates by
webhook."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, SendInvoice, SendMessage

from domain.money import XTR, Money
from entrypoints.bot.keyboards import Deposit, Gate, PlaceBet
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.endpoints import Endpoints
from tests.entrypoints.bot_player import _balance, _player_id
from tests.entrypoints.telegram_fakes import FakeTelegram, Player, webhook_settings
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_start_shows_the_gate_and_money_waits_for_it(send, telegram, balances, engine):
    player = Player()
    await send(player.message("/start"))
    texts = telegram.texts()
    assert texts[0].startswith("🎰 Welcome to Croupier, Ann!")
    assert "18 or older" in texts[1]
    gate = telegram.of(SendMessage)[1].reply_markup.inline_keyboard[0][0]
    assert gate.callback_data == Gate(accept=True).pack()

    telegram.calls.clear()
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="p1").pack()))
    alert = telegram.of(AnswerCallbackQuery)[0]
    assert alert.show_alert
    # The bet use case refuses (TermsNotAccepted), in the player's language.
    assert alert.text == "Please confirm you are 18+ and accept the terms first: /start"

    await send(player.tap(Gate(accept=True).pack()))
    assert telegram.texts()[-1].startswith("Main menu — balance: 0 ⭐")
    assert await _balance(balances, engine, player) == Money(0, XTR)


async def test_russian_speakers_get_russian(send, telegram):
    player = Player("ru")
    await send(player.message("/start"))
    assert telegram.texts()[0].startswith("🎰 Добро пожаловать в Croupier")
    assert "18 лет" in telegram.texts()[1]


async def test_support_commands_answer(send, telegram):
    player = Player()
    for command, expected in (
        ("/paysupport", "Payment support"),
        ("/privacy", "Privacy"),
        ("/terms", "18+ only"),
    ):
        await send(player.message(command))
        assert expected in telegram.texts()[-1]


async def test_webhook_mode_checks_the_secret_and_feeds_the_dispatcher(servers, tmp_path):
    from litestar.testing import AsyncTestClient

    from entrypoints.http.app import create_app

    settings = webhook_settings(tmp_path)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    from entrypoints.composition.containers import make_http_container

    container = make_http_container(settings, endpoints)
    runtime = await container.get(TelegramRuntime)  # nothing here is bound to a loop yet
    fake = FakeTelegram()
    runtime.bot.session = fake
    update = Player().message("/privacy").model_dump(mode="json", exclude_none=True)
    async with AsyncTestClient(app=create_app(container)) as client:
        wrong = await client.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        assert wrong.status_code == 403
        ok = await client.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
        )
        assert ok.status_code == 200
    assert "Privacy" in fake.texts()[-1]


async def test_webhook_is_off_without_a_bot(api):
    response = await api.post("/telegram/webhook", json={"update_id": 1})
    assert response.status_code == 404


async def test_start_for_a_blocked_player_says_so_and_shows_no_menu(
    send, telegram, ready_player, engine, uow_factory
):
    from domain.players import PlayerStatus

    player = await ready_player()
    async with uow_factory() as uow:
        await uow.players.set_status(await _player_id(engine, player), PlayerStatus.BLOCKED, "t")
        await uow.commit()
    telegram.calls.clear()
    await send(player.message("/start"))
    (only,) = telegram.of(SendMessage)
    assert only.text.startswith("Your account is blocked.")
    assert only.reply_markup is None


NEED_GATE = "Please confirm you are 18+ and accept the terms first: /start"


async def test_money_waits_for_the_gate_in_the_payment_and_withdrawal_flows(send, telegram, engine):
    player = Player()
    await send(player.message("/start"))
    telegram.calls.clear()
    before = await row_counts(engine)
    await send(player.tap(Deposit(amount=100).pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert (alert.show_alert, alert.text) == (True, NEED_GATE)
    assert not telegram.of(SendInvoice)
    await send(player.message("/withdraw 500 UQBx-wallet-1"))
    assert telegram.texts()[-1] == NEED_GATE
    assert await row_counts(engine) == before
