"""Withdrawals by buttons in the bot, through the real Dispatcher and a fake Bot API: an amount
(buttons within the balance, or typed), the destination typed (the example fits the currency),
a confirm screen, the receipt; the pending withdrawals and their cancel. The whole flow is
written as a transcript to .croupier/test/transcripts/bot-withdraw-<language>.txt for a person
to read."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import Update
from redis.asyncio import Redis
from sqlalchemy import text

from adapters.payouts import ManualPayouts
from application.postings import AdjustBalanceCommand, CreditDepositCommand
from application.staff import Actor
from application.withdrawals import ApproveWithdrawal
from domain.money import TON, XTR, Money
from entrypoints.bot.keyboards import Gate, Menu
from entrypoints.bot.withdraw_keyboards import (
    CancelWithdrawalButton,
    PendingList,
    WithdrawAmount,
    WithdrawConfirm,
)
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import FakeTelegram, Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")


class Chat:
    """One player's conversation: what they do, and everything the bot answers, in order.
    The tap throttle is reset before each update: it is tested elsewhere, and here it would
    answer a double tap before the handler could show it changes nothing."""

    def __init__(self, send, telegram: FakeTelegram, player: Player, redis: Redis) -> None:
        self._send, self.telegram, self.player, self._redis = send, telegram, player, redis
        self.lines: list[str] = []

    async def tap(self, label: str, data: str) -> None:
        await self._do(f"> tap: {label}", self.player.tap(data))

    async def say(self, words: str) -> None:
        await self._do(f"> types: {words}", self.player.message(words))

    async def _do(self, line: str, update: Update) -> None:
        already = len(self.telegram.calls)
        await self._redis.delete(f"croupier:bot:throttle:{self.player.user.id}")
        await self._send(update)
        self.lines.append(line)
        for call in self.telegram.calls[already:]:
            if isinstance(call, AnswerCallbackQuery) and call.text:
                self.lines.append(
                    f"  (alert: {call.text})" if call.show_alert else f"  (toast: {call.text})"
                )
            elif isinstance(call, SendMessage | EditMessageText):
                mark = "<" if isinstance(call, SendMessage) else "<~ (the screen, edited)"
                self.lines.append(f"{mark} {call.text}")
                for row in getattr(call.reply_markup, "inline_keyboard", None) or []:
                    self.lines.append("  " + " ".join(f"[{b.text}]" for b in row))

    def shown(self) -> SendMessage | EditMessageText:
        return next(
            c for c in reversed(self.telegram.calls) if isinstance(c, SendMessage | EditMessageText)
        )

    def buttons(self) -> dict[str, str]:
        """The last screen's buttons: label -> callback data."""
        rows = getattr(self.shown().reply_markup, "inline_keyboard", None) or []
        return {b.text: b.callback_data for row in rows for b in row}

    async def press(self, label: str) -> None:
        await self.tap(label, self.buttons()[label])

    def alerts(self) -> list[str]:
        return [c.text for c in self.telegram.of(AnswerCallbackQuery) if c.text]

    def write(self, name: str) -> None:
        TRANSCRIPTS.mkdir(parents=True, exist_ok=True)
        (TRANSCRIPTS / name).write_text("\n".join(self.lines) + "\n")


@pytest.fixture
async def redis(servers):
    client = Redis.from_url(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def chat(send, telegram, fund_bankroll, engine, adjust, credit, unique_key, redis):
    """A player past the gate, with a Telegram username, holding `won` ⭐ credited by staff
    (nothing to wager) and `deposited` ⭐ from a deposit (to be wagered first)."""

    async def make(language: str, won: int = 1000, deposited: int = 0) -> tuple[Chat, int]:
        await fund_bankroll()
        player = Player(language)
        player.user = player.user.model_copy(update={"username": "ann_k"})
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        player_id = await _player_id(engine, player)
        if won:
            command = AdjustBalanceCommand(
                player_id, Money(won, XTR), "prize", "ops", unique_key("w")
            )
            await adjust(command)
        if deposited:
            await credit(CreditDepositCommand(player_id, Money(deposited, XTR), unique_key("d")))
        telegram.calls.clear()
        return Chat(send, telegram, player, redis), player_id

    return make


async def _withdrawals(engine, player_id: int) -> list[tuple[int, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT amount, state FROM withdrawals WHERE player_id = :p ORDER BY requested_at"
            ),
            {"p": player_id},
        )
        return [(r.amount, r.state) for r in rows]


async def _stars(balances, player_id: int) -> int:
    return next(b.amount for b in await balances(player_id) if b.currency == XTR)


WORDS = {
    "en": {
        "all": "All: 1000 ⭐",
        "type": "✏️ Type an amount",
        "confirm": "✅ Confirm",
        "mine": "📋 My withdrawals",
        "yes": "✖️ Yes, cancel it",
        "how": "How much would you like to withdraw? From 100 ⭐ to 100000 ⭐ at a time.",
        "stars": "Stars are paid out by our team to a Telegram account",
        "receipt": "🏧 Withdrawal of 500 ⭐ to @ann_k requested.",
        "waiting": "⏳ waiting for review, requested ",
        "back": "the amount is back in your balance. Balance: 1000 ⭐.",
    },
    "ru": {
        "all": "Всё: 1000 ⭐",
        "type": "✏️ Ввести сумму",
        "confirm": "✅ Подтвердить",
        "mine": "📋 Мои выводы",
        "yes": "✖️ Да, отменить",
        "how": "Сколько вывести? От 100 ⭐ до 100000 ⭐ за раз.",
        "stars": "Звёзды выплачивает наша команда на аккаунт Telegram",
        "receipt": "🏧 Запрошен вывод 500 ⭐ на @ann_k.",
        "waiting": "⏳ ждёт проверки, запрошен ",
        "back": "сумма вернулась на баланс. Баланс: 1000 ⭐.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_withdrawal_by_buttons_and_its_cancel(chat, engine, balances, language):
    words = WORDS[language]
    talk, player_id = await chat(language)
    await talk.tap("🏧", Menu(action="withdraw").pack())
    assert words["how"] in talk.shown().text
    offered = talk.buttons()
    amounts = [WithdrawAmount.unpack(d).amount for d in offered.values() if d.startswith("wa:")]
    assert amounts == [100, 500, 1000, 0]  # never above the balance; 0: type an amount
    assert words["all"] in offered
    assert words["type"] in offered

    await talk.press("500 ⭐")
    prompt = talk.shown().text
    assert words["stars"] in prompt
    assert "@ann_k" in prompt  # the player's own account as the example
    assert "UQ" not in prompt  # not a TON wallet for Stars

    await talk.say("@ann_k")
    check = talk.shown()
    assert isinstance(check, SendMessage)
    assert "500 ⭐" in check.text
    assert "@ann_k" in check.text
    confirm = talk.buttons()[words["confirm"]]
    await talk.tap(words["confirm"], confirm)
    await talk.tap(words["confirm"] + " (again)", confirm)  # a double tap
    assert await _withdrawals(engine, player_id) == [(500, "requested")]
    assert await _stars(balances, player_id) == 500
    receipts = [c.text for c in talk.telegram.of(SendMessage) if words["receipt"] in c.text]
    assert len(receipts) == 1

    await talk.press(words["mine"])
    listing = talk.shown().text
    assert "500 ⭐" in listing
    assert "@ann_k" in listing
    assert words["waiting"] in listing
    assert listing.rstrip().endswith("UTC")  # the time says its zone
    (cancel,) = [label for label in talk.buttons() if label.startswith("✖️")]
    await talk.press(cancel)
    yes = talk.buttons()[words["yes"]]
    await talk.tap(words["yes"], yes)
    await talk.tap(words["yes"] + " (again)", yes)  # a double tap
    assert words["back"] in talk.shown().text
    assert await _withdrawals(engine, player_id) == [(500, "cancelled")]
    assert await _stars(balances, player_id) == 1000  # back once
    await talk.press(words["mine"])
    talk.write(f"bot-withdraw-{language}.txt")


async def test_typed_amounts_are_read_politely(chat, engine, balances):
    talk, player_id = await chat("en")
    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("✏️ Type an amount")
    assert "Send the amount to withdraw as a message, for example 500." in talk.shown().text
    for typed in ("lots", "-5", "0", "1.5", "1e9", "٣٠٠", "9" * 40, ""):
        await talk.say(typed)
        assert (
            talk.shown().text == "That is not an amount I can read. Send a number, for example 500."
        )
    await talk.say("5000")
    assert talk.shown().text == "You have 1000 ⭐: send an amount no larger than that."
    await talk.say("50")
    assert talk.shown().text == "The smallest withdrawal is 100 ⭐."
    await talk.say("300")
    assert "Withdraw 300 ⭐." in talk.shown().text
    await talk.say("w" * 201)
    assert talk.shown().text.startswith("That destination cannot be used")
    await talk.say("@ann_k")
    await talk.press("✅ Confirm")
    assert await _withdrawals(engine, player_id) == [(300, "requested")]
    assert await _stars(balances, player_id) == 700
    talk.write("bot-withdraw-typed-en.txt")


async def test_a_refused_withdrawal_says_why_and_holds_nothing(chat, engine, balances):
    talk, player_id = await chat("ru", won=0, deposited=1000)  # a deposit, not yet wagered
    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("500 ⭐")
    await talk.say("@ann_k")
    await talk.press("✅ Подтвердить")
    assert (
        talk.shown().text == "Внесённые деньги нужно сначала отыграть; осталось поставить 1000 ⭐."
    )
    assert "🏧 Вывести" in talk.buttons()  # start again
    assert await _withdrawals(engine, player_id) == []
    assert await _stars(balances, player_id) == 1000


async def test_a_forgotten_or_dropped_draft_requests_nothing(chat, engine):
    talk, player_id = await chat("en")
    await talk.tap("Confirm", WithdrawConfirm(press="0123456789abcdef", go=True).pack())
    assert talk.alerts()[-1].startswith("This withdrawal was not finished in time")
    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("100 ⭐")
    await talk.say("@ann_k")
    await talk.press("✖️ Cancel")
    assert talk.shown().text == "Nothing was requested. Your balance is untouched."
    assert await _withdrawals(engine, player_id) == []


async def test_an_approved_withdrawal_cannot_be_cancelled(
    chat, engine, balances, uow_factory, clock, ids, house
):
    talk, player_id = await chat("en")
    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("500 ⭐")
    # A destination of its own: one other players used would raise a risk flag, which holds
    # the approval for review.
    await talk.say(f"@ann_{uuid.uuid4().hex[:8]}")
    await talk.press("✅ Confirm")
    await talk.press("📋 My withdrawals")
    (cancel,) = [label for label in talk.buttons() if label.startswith("✖️")]
    await talk.press(cancel)
    yes = talk.buttons()["✖️ Yes, cancel it"]
    (withdrawal_id,) = [uuid.UUID(hex=CancelWithdrawalButton.unpack(yes).withdrawal)]
    approve = ApproveWithdrawal(uow_factory, clock, ids, house, ManualPayouts())
    await approve(withdrawal_id, Actor("staff:fin"))  # staff were quicker

    await talk.tap("✖️ Yes, cancel it", yes)
    assert talk.shown().text == (
        "This withdrawal is already approved and being paid out: it can no longer be cancelled."
    )
    assert await _withdrawals(engine, player_id) == [(500, "approved")]
    assert await _stars(balances, player_id) == 500
    await talk.tap("📋 My withdrawals", PendingList().pack())
    assert "✅ approved, being paid out" in talk.shown().text
    assert not [label for label in talk.buttons() if label.startswith("✖️")]
    # Someone else's withdrawal is not theirs to see or cancel.
    stranger, _ = await chat("en")
    await stranger.tap("✖️ Yes, cancel it", yes)
    assert stranger.alerts()[-1].startswith("This withdrawal is no longer waiting")
    assert await _withdrawals(engine, player_id) == [(500, "approved")]


async def test_a_toncoin_balance_is_chosen_and_asked_for_a_ton_address(
    chat, engine, adjust, unique_key, balances
):
    talk, player_id = await chat("en", won=300)
    await adjust(
        AdjustBalanceCommand(player_id, Money(7 * 10**9, TON), "prize", "ops", unique_key("t"))
    )
    await talk.tap("🏧", Menu(action="withdraw").pack())
    assert talk.shown().text == "🏧 Which balance would you like to withdraw from?"
    await talk.press("7 TON")
    offered = [label for label in talk.buttons() if "TON" in label]
    assert offered == ["1 TON", "5 TON", "All: 7 TON"]
    await talk.press("✏️ Type an amount")
    assert "for example 1.5." in talk.shown().text
    await talk.say("2,5")  # a decimal comma reads as well
    prompt = talk.shown().text
    assert "Withdraw 2.5 TON." in prompt
    assert "TON wallet address" in prompt
    assert "UQ" in prompt
    assert "@" not in prompt  # not a Telegram account for Toncoin
    await talk.say("UQBx3kVZ-test-address")
    await talk.press("✅ Confirm")
    assert await _withdrawals(engine, player_id) == [(25 * 10**8, "requested")]
    ton = next(b for b in await balances(player_id) if b.currency == TON)
    assert ton == Money(45 * 10**8, TON)
    talk.write("bot-withdraw-ton-en.txt")


async def test_a_balance_below_the_smallest_withdrawal_is_said_so(chat):
    talk, _ = await chat("ru", won=50)
    await talk.tap("🏧", Menu(action="withdraw").pack())
    assert talk.shown().text == "🏧 Ваш баланс — 50 ⭐; минимальная сумма вывода — 100 ⭐."
    assert not [d for d in talk.buttons().values() if d.startswith("wa:")]  # nothing to pick


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_on_a_break_the_whole_balance_leaves_by_buttons_below_the_minimum(
    chat, engine, uow_factory, clock, language
):
    """Money is never stuck: a player who took a time-out may take all of a balance under the
    minimum (the rule the request's use case applies, offered by the same buttons)."""
    from application.responsible import StartTimeout
    from domain.responsible import TimeoutPeriod

    talk, player_id = await chat(language, won=50)
    await StartTimeout(uow_factory, clock)(player_id, TimeoutPeriod.DAY)
    await talk.tap("🏧", Menu(action="withdraw").pack())
    (all_of_it,) = [label for label, d in talk.buttons().items() if d.startswith("wa:XTR:50")]
    await talk.press(all_of_it)
    await talk.say("@ann_k")
    await talk.press(WORDS[language]["confirm"])
    assert await _withdrawals(engine, player_id) == [(50, "requested")]
    talk.write(f"bot-withdraw-on-a-break-{language}.txt")
