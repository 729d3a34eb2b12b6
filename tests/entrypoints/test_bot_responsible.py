"""Responsible gambling in the bot, end to end (real aiogram updates through the Dispatcher, a
fake Bot API session, the real database and Redis): limits set with buttons and raises that
wait, a time-out asked twice that then closes deposits and refuses bets, a self-exclusion in
Russian, and a reality check that waits for the player's acknowledgement."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendInvoice, SendMessage
from sqlalchemy import text

from domain.money import XTR, Money
from entrypoints.bot.keyboards import Care, Deposit, Menu, PlaceBet
from tests.entrypoints.bot_player import _balance, _player_id

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _buttons(message: SendMessage | EditMessageText) -> list[str]:
    return [b.callback_data for row in message.reply_markup.inline_keyboard for b in row]


async def test_limits_are_set_with_buttons_and_raises_wait(
    send, telegram, ready_player, unthrottle
):
    player = await ready_player()
    await send(player.message("/limits"))
    assert "No limits set" in telegram.texts()[-1]
    await send(player.tap(Care(action="kind", kind="loss").pack()))
    assert Care(action="period", kind="loss", period="7d").pack() in _buttons(
        telegram.of(SendMessage | EditMessageText)[-1]
    )
    await send(player.tap(Care(action="period", kind="loss", period="7d").pack()))
    await send(player.tap(Care(action="set", kind="loss", period="7d", value=500).pack()))
    assert "in force now" in telegram.texts()[-1]

    # The amounts above are an old keyboard now: the player goes through the menu again.
    await unthrottle(player)
    await send(player.message("/limits"))
    await send(player.tap(Care(action="kind", kind="loss").pack()))
    await send(player.tap(Care(action="period", kind="loss", period="7d").pack()))
    await send(player.tap(Care(action="set", kind="loss", period="7d", value=5000).pack()))
    waits = telegram.of(SendMessage | EditMessageText)[-1]
    assert "24-hour cooling-off" in waits.text
    # No confirm button while the cooling-off runs: it could only be refused.
    assert _buttons(waits) == [Menu(action="limits").pack()]
    confirm = Care(action="confirm", kind="loss", period="7d").pack()
    await send(player.tap(confirm))  # an old or forged button: too early, refused
    assert telegram.of(AnswerCallbackQuery)[-1].show_alert

    await send(player.message("/limits"))
    status = telegram.texts()[-1]
    assert "Loss limit, 7 days: 500 ⭐" in status
    assert "raise to 5000 ⭐" in status

    # An amount that was never offered is not acted on (the tap gets the main menu).
    await send(player.tap(Care(action="set", kind="loss", period="7d", value=1).pack()))
    assert (
        telegram.of(AnswerCallbackQuery)[-1].text
        == "This button no longer works — here is the menu."
    )
    await send(player.message("/limits"))
    assert "Loss limit, 7 days: 500 ⭐" in telegram.texts()[-1]


async def test_a_time_out_is_asked_twice_and_then_closes_deposits(send, telegram, ready_player):
    player = await ready_player()
    await send(player.tap(Care(action="timeout").pack()))
    await send(player.tap(Care(action="timeout_ask", period="7d").pack()))
    ask = telegram.of(SendMessage | EditMessageText)[-1]
    assert "cannot be undone early" in ask.text
    go = Care(action="timeout_go", period="7d").pack()
    assert go in _buttons(ask)
    await send(player.tap(go))
    assert "time-out until" in telegram.texts()[-1]

    await send(player.tap(Deposit(amount=100).pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert alert.show_alert
    assert "time-out" in alert.text
    assert not telegram.of(SendInvoice)


async def test_self_exclusion_in_russian(send, telegram, ready_player):
    player = await ready_player("ru")
    await send(player.tap(Care(action="exclude_ask", period="6m").pack()))
    assert "Исключить себя на 6 месяцев" in telegram.texts()[-1]
    await send(player.tap(Care(action="exclude_go", period="6m").pack()))
    assert telegram.texts()[-1].startswith("⛔ Вы исключили себя до")
    await send(player.message("/limits"))
    assert "Вы исключили себя" in telegram.texts()[-1]


async def test_a_time_out_refuses_bets_politely(send, telegram, ready_player, balances, engine):
    player = await ready_player()
    await send(player.tap(Care(action="timeout_go", period="24h").pack()))
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="t1").pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert alert.show_alert
    assert alert.text.startswith("⏸ You are on a time-out until")
    assert await _balance(balances, engine, player) == Money(1000, XTR)


async def test_a_due_reality_check_waits_for_the_players_acknowledgement(
    send, telegram, ready_player, balances, engine
):
    player = await ready_player()
    await send(player.tap(Care(action="reality_set", value=15).pack()))
    assert "every 15 minutes" in telegram.texts()[-1]
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="q1").pack()))
    # Twenty minutes of play later (moved back in the database: the clock is real here).
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE responsible_reality_checks SET"
                " session_started_at = session_started_at - interval '20 minutes',"
                " acknowledged_at = acknowledged_at - interval '20 minutes'"
                " WHERE player_id = :p"
            ),
            {"p": await _player_id(engine, player)},
        )
    before = await _balance(balances, engine, player)
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="q2").pack()))
    check = telegram.of(SendMessage)[-1]
    assert check.text.startswith("⏰ Reality check: you have played for 20 min")
    ack = Care(action="ack").pack()
    assert _buttons(check) == [ack]
    assert await _balance(balances, engine, player) == before

    await send(player.tap(ack))
    assert telegram.texts()[-1].startswith("Thank you")
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="q3").pack()))
    assert "nonce 1" in telegram.texts()[-1]  # the refused bet took no nonce
