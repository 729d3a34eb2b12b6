"""Withdrawals by the /withdraw command, end to end (real aiogram updates through the
Dispatcher, a fake Bot API session, the real database and Redis): a request holds the amount
once, refusals name the rule (in Russian too), and money is never stuck after a
self-exclusion. The flow by buttons is test_bot_withdraw.py."""

from __future__ import annotations

import uuid

import pytest

from domain.money import XTR, Money
from entrypoints.bot.keyboards import Care, Menu
from tests.entrypoints.bot_player import _balance, _player_id, _withdrawals

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_a_withdrawal_request_holds_the_amount_once(
    send, telegram, ready_player, adjust, engine, balances, unique_key
):
    from application.postings import AdjustBalanceCommand

    player = await ready_player(balance=0)
    # Winnings credited by staff are not deposits, so no wagering is owed on them.
    await adjust(
        AdjustBalanceCommand(
            await _player_id(engine, player), Money(800, XTR), "prize", "ops", unique_key("adj")
        )
    )
    request = player.message("/withdraw 500 UQBx-wallet-1")
    await send(request)
    assert telegram.texts()[-1].startswith("🏧 Withdrawal of 500 ⭐ to UQBx-wallet-1 requested")
    again = request.model_copy(update={"update_id": request.update_id + 10**9})
    await send(again)  # the same message delivered as a new update
    assert await _withdrawals(engine, player) == [(500, "UQBx-wallet-1", "requested")]
    assert await _balance(balances, engine, player) == Money(300, XTR)


async def test_withdrawal_refusals_name_the_rule(send, telegram, ready_player, balances, engine):
    player = await ready_player(balance=1000)  # a deposit, not yet wagered
    await send(player.message("/withdraw 500 UQBx-wallet"))
    assert "must be played through" in telegram.texts()[-1]
    assert "1000 ⭐ is still to be wagered" in telegram.texts()[-1]
    await send(player.message("/withdraw 50 UQBx-wallet"))
    assert telegram.texts()[-1] == "The smallest withdrawal is 100 ⭐."
    await send(player.message("/withdraw lots UQBx-wallet"))
    assert telegram.texts()[-1].startswith("Usage: /withdraw")
    assert await _withdrawals(engine, player) == []
    assert await _balance(balances, engine, player) == Money(1000, XTR)

    await send(player.tap(Menu(action="withdraw").pack()))
    assert "Your balance: 1000 ⭐." in telegram.texts()[-1]


async def test_withdrawal_refusals_in_russian(send, telegram, ready_player):
    player = await ready_player("ru")
    await send(player.message("/withdraw 50 UQBx-wallet"))
    assert telegram.texts()[-1] == "Минимальная сумма вывода — 100 ⭐."


@pytest.mark.parametrize(
    ("language", "receipt"), [("en", "🏧 Withdrawal of"), ("ru", "🏧 Запрошен")]
)
async def test_money_is_never_stuck_after_a_self_exclusion(
    language, receipt, send, telegram, ready_player, place, engine, balances
):
    """The issue's player: deposited 500, staked 200, excluded themselves for six months,
    then asked for the rest. Before the exclusion the deposit must still be wagered; after
    it they can never wager it, so the requirement is waived and the money leaves."""
    from application.betting import PlaceBetCommand

    player = await ready_player(language, balance=500)
    player_id = await _player_id(engine, player)
    for _ in range(2):
        stake = Money(100, XTR)
        await place(PlaceBetCommand(player_id, uuid.uuid4(), "coin", stake, {"side": "heads"}))
    left = (await _balance(balances, engine, player)).amount
    await send(player.message(f"/withdraw {left} UQBx-wallet-1"))
    refused = telegram.texts()[-1]  # the deposit is still to be wagered
    assert not refused.startswith(receipt)
    assert f"{500 - 200} ⭐" in refused
    await send(player.tap(Care(action="exclude_go", period="6m").pack()))
    await send(player.message(f"/withdraw {left} UQBx-wallet-1"))
    assert telegram.texts()[-1].startswith(receipt)
    assert await _withdrawals(engine, player) == [(left, "UQBx-wallet-1", "requested")]
    assert await _balance(balances, engine, player) == Money(0, XTR)
