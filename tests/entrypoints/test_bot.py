"""The bot end to end: real aiogram updates through the Dispatcher, a fake Bot API session,
the real database and Redis."""

from __future__ import annotations

import secrets
import uuid

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerPreCheckoutQuery,
    EditMessageText,
    RefundStarPayment,
    SendDice,
    SendInvoice,
    SendMessage,
)
from aiogram.types import Dice
from sqlalchemy import text

from adapters.postgres.personal import destination_place
from application.postings import CreditDepositCommand
from domain.money import XTR, Money
from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.keyboards import (
    BetsPage,
    Care,
    Deposit,
    Gate,
    Menu,
    PickGame,
    PickStake,
    PlaceBet,
)
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.endpoints import Endpoints
from tests.conftest import TEST_PERSONAL_DATA
from tests.entrypoints.telegram_fakes import FakeTelegram, Player, webhook_settings
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
async def ready_player(send, telegram, credit, fund_bankroll, engine, unique_key):
    """A player past the 18+ gate with 1000 ⭐."""

    async def make(language: str = "en", balance: int = 1000) -> Player:
        await fund_bankroll()
        player = Player(language)
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        player_id = await _player_id(engine, player)
        if balance:
            await credit(CreditDepositCommand(player_id, Money(balance, XTR), unique_key("bot")))
        telegram.calls.clear()
        return player

    return make


async def _player_id(engine, player: Player) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT id FROM players WHERE telegram_user_id = :t"), {"t": player.user.id}
            )
        ).scalar_one()


async def _balance(balances, engine, player: Player) -> Money:
    return (await balances(await _player_id(engine, player)))[0]


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


async def _invoice(send, telegram, player: Player, amount: int = 100) -> SendInvoice:
    # The prompt at the first deposit stands before any invoice, on every road (issue 23):
    # answered here, as a player does once (tests/entrypoints/test_bot_deposit_prompt*.py).
    await send(player.tap(DepositPromptAnswer().pack()))
    await send(player.tap(Deposit(amount=amount).pack()))
    invoice = telegram.of(SendInvoice)[-1]
    assert invoice.currency == "XTR"
    assert invoice.provider_token == ""
    label = {"en": "Croupier balance", "ru": "Баланс Croupier"}[player.user.language_code]
    assert [(p.label, p.amount) for p in invoice.prices] == [(label, amount)]
    return invoice


async def _stars_payments(engine, player: Player) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT charge_id, amount FROM stars_payments WHERE telegram_user_id = :t"),
            {"t": player.user.id},
        )
        return [(r.charge_id, r.amount) for r in rows]


async def test_deposit_prompts_for_a_limit_before_the_first_deposit(send, telegram, ready_player):
    player = await ready_player()
    await send(player.tap(Menu(action="deposit").pack()))
    shown = telegram.of(SendMessage | EditMessageText)[-1]  # the hub, edited in place
    assert "set a deposit limit" in shown.text
    buttons = [b.callback_data for row in shown.reply_markup.inline_keyboard for b in row]
    # Straight to the deposit limit's periods; the amounts only after an answer (issue 23,
    # tests/entrypoints/test_bot_deposit_prompt.py).
    assert Care(action="period", kind="deposit", period="24h", origin="dep").pack() in buttons
    assert Deposit(amount=100).pack() not in buttons


async def test_a_stars_payment_paid_twice_is_credited_once(
    send, telegram, ready_player, balances, engine
):
    player = await ready_player()
    invoice = await _invoice(send, telegram, player, 100)
    other = await _invoice(send, telegram, player, 100)
    assert invoice.payload != other.payload  # unique per top-up

    await send(player.pre_checkout(invoice.payload, 100))
    answer = telegram.of(AnswerPreCheckoutQuery)[-1]
    assert answer.ok is True

    charge = f"charge-{secrets.token_hex(6)}"
    await send(player.paid(charge, invoice.payload, 100))
    await send(player.paid(charge, invoice.payload, 100))  # delivered again, a new update id
    assert await _balance(balances, engine, player) == Money(1100, XTR)
    assert await _stars_payments(engine, player) == [(charge, 100)]
    credited = [t for t in telegram.texts() if t.startswith("✅")]
    assert credited == ["✅ 100 ⭐ credited. Balance: 1100 ⭐"]

    # An old invoice paid again is a new charge: Telegram took the Stars twice.
    second = f"charge-{secrets.token_hex(6)}"
    await send(player.paid(second, invoice.payload, 100))
    assert await _balance(balances, engine, player) == Money(1200, XTR)


@pytest.mark.parametrize(
    ("payload", "amount", "currency"),
    [("dep:never-issued", 100, "XTR"), ("junk\x00" * 50, 100, "XTR"), (None, 100, "USD")],
)
async def test_a_payment_that_is_not_the_invoice_is_refunded_flagged_not_credited(
    send, telegram, ready_player, balances, engine, payload, amount, currency
):
    player = await ready_player()
    invoice = await _invoice(send, telegram, player, 100)
    charge = f"charge-{secrets.token_hex(6)}"
    await send(player.paid(charge, payload or invoice.payload, amount, currency))
    assert await _balance(balances, engine, player) == Money(1000, XTR)
    assert await _stars_payments(engine, player) == []
    [refund] = telegram.of(RefundStarPayment)
    assert (refund.user_id, refund.telegram_payment_charge_id) == (player.user.id, charge)
    async with engine.connect() as conn:
        kinds = (
            await conn.execute(
                text("SELECT kind FROM risk_flags WHERE player_id = :p"),
                {"p": await _player_id(engine, player)},
            )
        ).scalars()
        assert list(kinds) == ["payment_mismatch"]
    assert not [t for t in telegram.texts() if t.startswith("✅")]


async def test_a_checkout_that_does_not_match_the_invoice_is_refused(send, telegram, ready_player):
    player = await ready_player()
    stranger = await ready_player()
    invoice = await _invoice(send, telegram, player, 500)
    for update in (
        player.pre_checkout(invoice.payload, 499),  # another amount
        player.pre_checkout(invoice.payload, 500, currency="USD"),
        player.pre_checkout("dep:never-issued", 500),
        stranger.pre_checkout(invoice.payload, 500),  # someone else's invoice
    ):
        await send(update)
        answer = telegram.of(AnswerPreCheckoutQuery)[-1]
        assert answer.ok is False
        assert answer.error_message.startswith("This payment cannot be accepted")
    assert len(telegram.of(AnswerPreCheckoutQuery)) == 4


async def test_a_self_excluded_player_cannot_pay(
    send, telegram, ready_player, uow_factory, clock, engine
):
    from application.responsible import SelfExclude
    from domain.responsible import SelfExclusionPeriod

    player = await ready_player()
    invoice = await _invoice(send, telegram, player, 50)
    await SelfExclude(uow_factory, clock)(
        await _player_id(engine, player), SelfExclusionPeriod.SIX_MONTHS
    )
    await send(player.pre_checkout(invoice.payload, 50))
    answer = telegram.of(AnswerPreCheckoutQuery)[-1]
    assert answer.ok is False
    await send(player.tap(Deposit(amount=50).pack()))
    refusal = telegram.of(AnswerCallbackQuery)[-1]
    assert refusal.show_alert
    assert len(telegram.of(SendInvoice)) == 1  # no new invoice for an excluded player


async def test_russian_deposit_texts(send, telegram, ready_player):
    player = await ready_player("ru")
    invoice = await _invoice(send, telegram, player, 50)
    assert invoice.title == "Пополнение на 50 ⭐"
    await send(player.paid(f"charge-{secrets.token_hex(6)}", invoice.payload, 50))
    assert telegram.texts()[-1].startswith("✅ Зачислено 50 ⭐")


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


async def test_a_time_out_refuses_bets_politely(send, telegram, ready_player, balances, engine):
    player = await ready_player()
    await send(player.tap(Care(action="timeout_go", period="24h").pack()))
    await send(player.tap(PlaceBet(game="coin", stake=10, option="h", press="t1").pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert alert.show_alert
    assert alert.text.startswith("⏸ You are on a time-out until")
    assert await _balance(balances, engine, player) == Money(1000, XTR)


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


async def _withdrawals(engine, player: Player) -> list[tuple[int, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT w.id, w.amount, w.destination_sealed, w.state FROM withdrawals w"
                " JOIN players p ON p.id = w.player_id WHERE p.telegram_user_id = :t"
            ),
            {"t": player.user.id},
        )
        return [
            (
                r.amount,
                TEST_PERSONAL_DATA.open(r.destination_sealed, destination_place(r.id)),
                r.state,
            )
            for r in rows
        ]


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


async def test_a_checkout_whose_check_breaks_is_refused_at_once_not_left_to_time_out(
    send, telegram, ready_player, monkeypatch, caplog
):
    from application.payments import CheckPreCheckout

    player = await ready_player()
    invoice = await _invoice(send, telegram, player, 100)

    async def broken(self, *args, **kwargs):
        raise RuntimeError("a bug in the checks")

    monkeypatch.setattr(CheckPreCheckout, "__call__", broken)
    await send(player.pre_checkout(invoice.payload, 100))
    answer = telegram.of(AnswerPreCheckoutQuery)[-1]
    assert answer.ok is False
    assert answer.error_message.startswith("Something went wrong on our side. Nothing was charged")
    assert "RuntimeError" not in answer.error_message
    assert any(r.levelname == "ERROR" and r.exc_info for r in caplog.records)


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


# -- the player's standing (issue 16): the use cases refuse, the bot says why -------------------

BLOCKED = (
    "Your account is blocked. Contact /paysupport if you think this is a mistake."
    " You can still ask to withdraw your balance: our team reviews it."
)
NEED_GATE = "Please confirm you are 18+ and accept the terms first: /start"


async def test_a_blocked_player_cannot_deposit_and_their_withdrawal_waits_for_staff(
    send, telegram, ready_player, adjust, uow_factory, clock, engine, unique_key
):
    from application.player_admin import BlockPlayer
    from application.postings import AdjustBalanceCommand
    from application.staff import Actor

    player = await ready_player(balance=0)
    player_id = await _player_id(engine, player)
    await adjust(AdjustBalanceCommand(player_id, Money(800, XTR), "prize", "ops", unique_key()))
    offered = await _invoice(send, telegram, player, 100)  # sent before the block
    await BlockPlayer(uow_factory, clock)(player_id, "fraud review", Actor("staff:ops"))
    telegram.calls.clear()
    before = await row_counts(engine)

    await send(player.tap(Deposit(amount=100).pack()))
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert (alert.show_alert, alert.text) == (True, BLOCKED)
    assert not telegram.of(SendInvoice)
    await send(player.pre_checkout(offered.payload, 100))
    answer = telegram.of(AnswerPreCheckoutQuery)[-1]
    assert answer.ok is False
    assert "blocked" in answer.error_message
    assert await row_counts(engine) == before
    # Money is never stuck: the request is taken, and waits (frozen) for staff.
    await send(player.message("/withdraw 500 UQBx-wallet-1"))
    assert telegram.texts()[-1].startswith("🏧 Withdrawal of 500 ⭐ to UQBx-wallet-1 requested")
    assert await _withdrawals(engine, player) == [(500, "UQBx-wallet-1", "requested")]


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
