"""Bets by the bot's buttons, end to end (real aiogram updates through the Dispatcher, a fake
Bot API session, the real database and Redis): a Telegram dice bet settled on the bot's dice,
double taps and repeated updates placing one bet, the player's own dice and forged callbacks
never trusted, the seed rotation, the last bets, a blocked player's tap, and the log lines of
an update."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDice
from aiogram.types import Dice
from sqlalchemy import text

from domain.money import XTR, Money
from entrypoints.bot.keyboards import BetsPage, PickGame, PickStake, PlaceBet
from tests.entrypoints.bot_player import _balance, _player_id

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_a_full_dice_bet_settles_on_the_bots_dice(
    send, telegram, ready_player, balances, engine
):
    player = await ready_player()
    await send(player.tap(PickGame(game="tg_dice").pack()))
    await send(player.tap(PickStake(game="tg_dice", stake=100).pack()))
    options = telegram.screen().reply_markup.inline_keyboard
    even = next(b for row in options for b in row if b.text.startswith("Even ×"))
    telegram.dice_values.append(4)
    await send(player.tap(even.callback_data))
    dice = telegram.of(SendDice)
    assert len(dice) == 1
    assert dice[0].emoji == "🎲"
    assert "you win 194 ⭐" in telegram.texts()[-1]
    assert await _balance(balances, engine, player) == Money(1094, XTR)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT state, outcome, dice_message_id FROM bets b JOIN players p"
                    " ON p.id = b.player_id WHERE p.telegram_user_id = :t"
                ),
                {"t": player.user.id},
            )
        ).one()
    assert (row.state, row.outcome) == ("won", 4)


async def test_a_double_tap_places_one_bet(send, telegram, ready_player, balances, engine):
    player = await ready_player()
    button = PlaceBet(game="tg_slot", stake=10, option="spin", press="abcd1234").pack()
    telegram.dice_values.extend([2, 2])
    await send(player.tap(button))
    await send(player.tap(button))  # the same button, a second update
    assert len(telegram.of(SendDice)) == 1
    assert await _balance(balances, engine, player) == Money(990, XTR)


async def test_a_repeated_update_is_processed_once(send, telegram, ready_player, balances, engine):
    player = await ready_player()
    update = player.tap(PlaceBet(game="coin", stake=10, option="t", press="ffff0000").pack())
    await send(update)
    calls = len(telegram.calls)
    await send(update)  # Telegram delivering the same update again
    assert len(telegram.calls) == calls
    assert "nonce 0" in telegram.texts()[-1]
    balance = await _balance(balances, engine, player)
    assert balance.amount in (990, 990 + 19)


async def test_a_players_own_dice_is_never_an_outcome(send, telegram, ready_player, engine):
    player = await ready_player()
    await send(player.message(dice=Dice(emoji="🎲", value=6)))
    assert "Only dice sent by the bot count" in telegram.texts()[-1]
    forwarded = player.message(dice=Dice(emoji="🎰", value=64))
    await send(forwarded)
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM bets b JOIN players p ON p.id = b.player_id"
                    " WHERE p.telegram_user_id = :t"
                ),
                {"t": player.user.id},
            )
        ).scalar_one()
    assert count == 0


async def test_stakes_and_options_from_callbacks_are_not_trusted(
    send, telegram, ready_player, balances, engine
):
    player = await ready_player()
    await send(player.tap(PlaceBet(game="coin", stake=999_999, option="h", press="x1").pack()))
    await send(player.tap(PlaceBet(game="coin", stake=10, option="nope", press="x2").pack()))
    await send(player.tap("b:poker:10:h:x3"))
    assert await _balance(balances, engine, player) == Money(1000, XTR)
    assert not telegram.of(SendDice)


async def test_fairness_rotation_reveals_the_seed(send, telegram, ready_player):
    player = await ready_player()
    await send(player.message("/fairness"))
    assert "Server seed hash" in telegram.texts()[-1]
    await send(player.message("/clientseed lucky-me"))
    assert "Revealed server seed" in telegram.texts()[-1]
    assert "Client seed: lucky-me" in telegram.texts()[-1]


async def test_the_player_recalls_their_last_bets(send, telegram, ready_player):
    player = await ready_player()
    await send(player.tap(BetsPage(page=1).pack()))
    assert telegram.texts()[-1] == "No bets yet."
    for press in ("r1", "r2"):
        await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press=press).pack()))
    await send(player.tap(BetsPage(page=1).pack()))
    shown = telegram.texts()[-1].splitlines()
    assert shown[0] == "Your latest bets (page 1):"
    assert len(shown) == 3
    assert all(" UTC · Coin flip 🔐: 10 ⭐ on Heads → 🪙 " in line for line in shown[1:])
    assert all(line.endswith(("you win 19 ⭐, +9", "lost, −10")) for line in shown[1:])
    answers = len(telegram.of(AnswerCallbackQuery))
    await send(player.tap(BetsPage(page=11).pack()))  # beyond the latest 100: refused politely
    (refusal,) = telegram.of(AnswerCallbackQuery)[answers:]
    assert "latest 100 bets" in refusal.text


async def test_a_blocked_player_taps_a_bet_and_is_told_politely(
    send, telegram, ready_player, balances, engine, uow_factory
):
    from domain.players import PlayerStatus

    player = await ready_player()
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="b1").pack()))
    balance = await _balance(balances, engine, player)
    async with uow_factory() as uow:
        await uow.players.set_status(await _player_id(engine, player), PlayerStatus.BLOCKED, "t")
        await uow.commit()
    telegram.calls.clear()
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="b2").pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert alert.show_alert
    assert alert.text.startswith("Your account is blocked.")
    assert await _balance(balances, engine, player) == balance


async def test_log_lines_of_an_update_carry_its_id_and_the_bets(
    send, ready_player, engine, json_logs
):
    player = await ready_player()
    update = player.tap(PlaceBet(game="coin", stake=10, option="h", press="log1").pack())
    await send(update)
    async with engine.connect() as conn:
        bet_id = (
            await conn.execute(
                text(
                    "SELECT b.id FROM bets b JOIN players p ON p.id = b.player_id"
                    " WHERE p.telegram_user_id = :t"
                ),
                {"t": player.user.id},
            )
        ).scalar_one()
    (inside,) = [
        line
        for line in json_logs()
        if line["logger"].startswith("application.betting.") and str(bet_id) in line["message"]
    ]
    assert inside["request_id"] == f"tg-{update.update_id}"
    assert inside["bet_id"] == str(bet_id)
