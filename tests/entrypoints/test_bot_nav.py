"""A chat that stays tidy (issue 25): navigation edits one hub message with the balance in
sight, a tap on an old keyboard is refused with a toast and the current menu (and places
nothing), every tap is answered once, whatever the bot does not understand gets the menu, and
the command menu is registered in each language at start. The conversation is written as a
transcript to .croupier/test/transcripts/bot-nav-<language>.txt for a person to read.

Over 400 lines on purpose: it is one conversation, told in order, so that its transcript reads
as a player would see it; split, the transcript would be pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Sticker,
    Update,
    Voice,
)
from redis.asyncio import Redis
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.money import XTR, Money
from entrypoints.bot.commands import COMMANDS, register_commands
from entrypoints.bot.freshness import LiveKeyboards, only_navigates
from entrypoints.bot.handlers.crash import CrashCash
from entrypoints.bot.handlers.mines import MinesCash
from entrypoints.bot.keyboards import Care, Deposit, Gate, Language, Menu, PickGame, PickStake
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import BOT_TOKEN, FakeTelegram, Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")
OUT_OF_DATE = {
    "en": "This menu is out of date — here is the current one.",
    "ru": "Это меню устарело — вот актуальное.",
}
JUST_REPLACED = {
    "en": "Already done — see the message below.",
    "ru": "Уже сделано — смотрите сообщение ниже.",
}
NOT_UNDERSTOOD = {
    "en": "I didn't get that. Use the buttons below, or /help.",
    "ru": "Не понял вас. Воспользуйтесь кнопками ниже или /help.",
}
MENU = {"en": "Main menu — balance: ", "ru": "Главное меню — баланс: "}
PRIVATE_ONLY = (
    "I play only in a private chat, where your balance and bets are yours alone: message me there."
)


@pytest.fixture
async def ready_player(send, telegram, credit, fund_bankroll, engine, unique_key, unthrottle):
    """A player past the 18+ gate with 1000 ⭐, taps not throttled."""

    async def make(language: str = "en") -> tuple[Player, int]:
        await fund_bankroll()
        player = Player(language)
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        player_id = await _player_id(engine, player)
        await credit(CreditDepositCommand(player_id, Money(1000, XTR), unique_key("nav")))
        await unthrottle(player)
        telegram.calls.clear()
        return player, player_id

    return make


async def _bets(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player_id}
            )
        ).scalar_one()


def _answers(telegram: FakeTelegram) -> list[AnswerCallbackQuery]:
    return telegram.of(AnswerCallbackQuery)


def _labels(call: Any) -> list[str]:
    markup = call.reply_markup
    return [b.text for row in getattr(markup, "inline_keyboard", None) or [] for b in row]


async def test_navigation_edits_the_hub_with_the_balance_in_sight(send, telegram, ready_player):
    player, _ = await ready_player()
    await send(player.message("/start"))  # a command: the hub is sent anew, once
    welcome, hub = telegram.of(SendMessage)
    assert welcome.text.startswith("🎰 Welcome")
    assert hub.text == "Main menu — balance: 1000 ⭐"
    taps = [
        Menu(action="help"),
        Menu(action="main"),
        Menu(action="balance"),
        Menu(action="main"),
        Menu(action="language"),
        Language(code="en"),
        Menu(action="help"),
        Menu(action="main"),
    ]
    for data in taps:
        await send(player.tap(data.pack()))
    assert len(telegram.of(SendMessage)) == 2  # not one message more
    edits = telegram.of(EditMessageText)
    assert len(edits) == len(taps)
    # All in the one hub message, each screen with the balance.
    assert {e.message_id for e in edits} == {telegram.message_id(hub)}
    for edit in edits:
        assert "1000 ⭐" in edit.text, edit.text
    assert [a.text for a in _answers(telegram)] == [
        None, None, None, None, None, "Language set to English.", None, None,
    ]  # fmt: skip
    assert edits[0].text.startswith("💰 Balance: 1000 ⭐\n\nCroupier is a Telegram casino.")
    assert edits[-1].text == "Main menu — balance: 1000 ⭐"
    language = next(e for e in edits if "Choose your language" in e.text)
    assert _labels(language) == [
        "English 🇬🇧", "Español 🇪🇸", "Português 🇧🇷", "Русский 🇷🇺", "Türkçe 🇹🇷", "⬅️ Back",
    ]  # fmt: skip


async def test_an_old_bet_keyboard_places_nothing(send, telegram, ready_player, engine, servers):
    player, player_id = await ready_player()
    await send(player.tap(PickGame(game="coin").pack()))
    await send(player.tap(PickStake(game="coin", stake=10).pack()))
    first = telegram.screen()  # the options, edited into the hub
    heads, tails = (b.callback_data for row in first.reply_markup.inline_keyboard for b in row)
    await send(player.tap(heads))
    assert await _bets(engine, player_id) == 1
    # The result came with a fresh keyboard: the first one is out of date now. A second tap
    # on it a moment later (a double tap, or one that crossed the result) places nothing and
    # only points at the result below: no second menu.
    old = telegram.message_id(first)
    telegram.calls.clear()
    await send(player.tap(heads, message_id=old))
    assert await _bets(engine, player_id) == 1
    (answer,) = _answers(telegram)
    assert answer.text == JUST_REPLACED["en"]
    (put_away,) = telegram.of(EditMessageReplyMarkup)
    assert (put_away.message_id, put_away.reply_markup) == (old, None)
    assert not telegram.of(SendMessage)
    # Later, its other button (another bet, another key) is refused with the current menu.
    redis = Redis.from_url(servers.redis_url)
    await redis.delete(*[k async for k in redis.scan_iter("croupier:bot:*:keyboard-replaced:*")])
    await redis.aclose()
    telegram.calls.clear()
    await send(player.tap(tails, message_id=old))
    assert await _bets(engine, player_id) == 1  # nothing placed
    (answer,) = _answers(telegram)
    assert answer.text == OUT_OF_DATE["en"]
    assert not telegram.of(EditMessageText)
    (menu,) = telegram.of(SendMessage)
    assert menu.text.startswith("Main menu — balance: ")
    assert "🎲 Games" in _labels(menu)
    # The current one works: games, a stake, a bet.
    await send(player.tap(PickGame(game="coin").pack()))
    await send(player.tap(PickStake(game="coin", stake=10).pack()))
    fresh = telegram.screen().reply_markup.inline_keyboard[0][0].callback_data
    await send(player.tap(fresh))
    assert await _bets(engine, player_id) == 2


async def test_every_tap_is_answered_once(send, telegram, ready_player):
    player, _ = await ready_player()
    await send(player.message("/start"))
    garbage = [
        "zzz",
        "b:poker:10:h:x3",  # a game that does not exist
        "m:nope",  # a menu entry that does not exist
        "s:roulette_x:10",  # a stake for a game that does not exist
        "old:format:from:last:year",
        "x" * 64,
        Menu(action="main").pack(),  # and one that works
    ]
    for data in garbage:
        telegram.calls.clear()
        await send(player.tap(data))
        assert len(_answers(telegram)) == 1, data
        assert telegram.texts()[-1].startswith("Main menu — balance: 1000 ⭐"), data
    # A made-up button gets a toast saying so; then the menu, sent below.
    telegram.calls.clear()
    await send(player.tap("zzz"))
    assert _answers(telegram)[0].text == "This button no longer works — here is the menu."
    assert len(telegram.of(SendMessage)) == 1


async def test_a_tap_with_no_data_is_answered(send, telegram, ready_player):
    player, _ = await ready_player()
    update = player.tap("m:main")
    assert update.callback_query is not None
    await send(update.model_copy(update={"callback_query": update.callback_query.model_copy(
        update={"data": None})}))  # fmt: skip
    assert len(_answers(telegram)) == 1


def _sticker() -> Sticker:
    return Sticker(
        file_id="s", file_unique_id="s", type="regular", width=512, height=512,
        is_animated=False, is_video=False,
    )  # fmt: skip


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_what_the_bot_does_not_understand_gets_the_menu(
    send, telegram, ready_player, language
):
    player, _ = await ready_player(language)
    inputs = [
        player.message("hello?"),
        player.message("/nonsense"),
        player.message(sticker=_sticker()),
        player.message(photo=[PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]),
        player.message(voice=Voice(file_id="v", file_unique_id="v", duration=2)),
    ]
    for update in inputs:
        telegram.calls.clear()
        await send(update)
        said, menu = telegram.of(SendMessage)
        assert said.text == NOT_UNDERSTOOD[language]
        assert menu.text.startswith(MENU[language])


async def test_before_the_gate_the_menu_is_the_gate(send, telegram):
    player = Player()
    await send(player.message("/start"))
    telegram.calls.clear()
    await send(player.message("what is this?"))
    said, gate = telegram.of(SendMessage)
    assert said.text == NOT_UNDERSTOOD["en"]
    assert "18 or older" in gate.text
    assert gate.reply_markup.inline_keyboard[0][0].callback_data == Gate(accept=True).pack()


async def test_in_a_group_the_bot_stays_silent(send, telegram, ready_player):
    player, _ = await ready_player()
    group = Chat(id=-100_000_000_000 - player.user.id, type="supergroup", title="friends")
    for written in ({"text": "lol"}, {"text": "/nonsense"}, {"sticker": _sticker()}):
        await send(
            Update(
                update_id=player.tap("x").update_id,
                message=Message(
                    message_id=5, date=datetime.now(UTC), chat=group, from_user=player.user,
                    **written,
                ),
            )
        )  # fmt: skip
    assert not telegram.of(SendMessage)
    # Its own commands are answered with where to play, and nothing of the player's shows.
    for command in ("/start", "/withdraw@croupier_bot 100 me"):
        await send(_in(group, player, command))
    answers = telegram.of(SendMessage)
    assert [a.text for a in answers] == [PRIVATE_ONLY] * 2
    assert all(a.chat_id == group.id for a in answers)


async def test_writing_in_a_group_registers_nobody(send, telegram, engine):
    stranger = Player("ru")
    group = Chat(id=-100_000_000_000 - stranger.user.id, type="group", title="друзья")
    await send(_in(group, stranger, "/start"))
    (answer,) = telegram.of(SendMessage)
    assert answer.text.startswith("Я играю только в личном чате")
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM players WHERE telegram_user_id = :t"),
            {"t": stranger.user.id},
        )
    assert found == 0


def _in(group: Chat, player: Player, text: str) -> Update:
    return Update(
        update_id=player.tap("x").update_id,
        message=Message(
            message_id=6, date=datetime.now(UTC), chat=group, from_user=player.user, text=text
        ),
    )


async def test_every_command_in_the_menu_has_its_handler(send, telegram, ready_player):
    player, _ = await ready_player()
    for command in COMMANDS:
        telegram.calls.clear()
        await send(player.message(f"/{command}"))
        assert telegram.texts(), command
        assert NOT_UNDERSTOOD["en"] not in telegram.texts(), command


async def test_the_command_menu_is_registered_in_each_language_at_start(runtime):
    telegram = FakeTelegram()
    await runtime.dispatcher.emit_startup(bot=Bot(BOT_TOKEN, session=telegram))
    calls = telegram.of(SetMyCommands)
    assert [c.language_code for c in calls] == [None, "en", "es", "pt", "ru", "tr"]
    menus = {c.language_code: {b.command: b.description for b in c.commands} for c in calls}
    assert menus["es"]["help"] == "Cómo funciona, soporte y reglas"
    assert list(menus["ru"]) == list(COMMANDS)
    assert menus["ru"]["help"] == "Как всё устроено, поддержка и правила"
    assert menus[None] == menus["en"]
    assert menus["en"]["withdraw"] == "Withdraw your balance"


async def test_webhook_mode_registers_the_command_menu_once_registered(
    runtime, send, telegram, tmp_path
):
    from entrypoints.cli.supervisor import register_webhook
    from tests.entrypoints.telegram_fakes import webhook_settings

    await register_webhook(runtime, webhook_settings(tmp_path), first_delay_s=0.01)
    assert [type(c).__name__ for c in telegram.calls] == [
        "SetWebhook", *["SetMyCommands"] * 6,  # the default menu, then en, es, pt, ru, tr
    ]  # fmt: skip


class RefusingRussian(FakeTelegram):
    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: Any = None,  # noqa: ASYNC109 - the signature aiogram calls
    ) -> Any:
        if isinstance(method, SetMyCommands) and method.language_code == "ru":
            self.calls.append(method)
            raise TelegramBadRequest(method, "Bad Request: too many commands")
        return await super().make_request(bot, method, timeout)


async def test_a_refused_command_menu_is_logged_and_the_others_registered(caplog):
    telegram = RefusingRussian()
    await register_commands(Bot(BOT_TOKEN, session=telegram))
    assert [c.language_code for c in telegram.of(SetMyCommands)] == [
        None, "en", "es", "pt", "ru", "tr",
    ]  # fmt: skip
    assert "registering the ru command menu failed" in caplog.text


async def test_without_redis_every_tap_counts_as_current():
    # Nothing listens on port 1: the record is unknown, and the tap is accepted (bets stay
    # idempotent on their button's key, so money stays right).
    live = LiveKeyboards(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), 1)
    tap = Player().tap(Menu(action="main").pack(), message_id=7).callback_query
    assert isinstance(tap, CallbackQuery)
    assert not await live.out_of_date(tap)


async def test_buttons_that_work_anywhere_are_never_out_of_date(servers):
    redis = Redis.from_url(servers.redis_url)
    live = LiveKeyboards(redis, 1)
    player = Player()
    await live.remember(player.chat.id, 100)
    old = 99
    for data in (CrashCash(bet="ab" * 16).pack(), Care(action="ack").pack()):
        tap = player.tap(data, message_id=old).callback_query
        assert tap is not None
        assert not await live.out_of_date(tap), data
    stale = player.tap(PickStake(game="coin", stake=10).pack(), message_id=old).callback_query
    assert stale is not None
    assert await live.out_of_date(stale)
    # Only a keyboard with nothing that works anywhere is taken off an old message.
    menu = InlineKeyboardMarkup(inline_keyboard=[[_button(Menu(action="main").pack())]])
    field = InlineKeyboardMarkup(
        inline_keyboard=[[_button(Menu(action="main").pack()), _button(MinesCash(game="a").pack())]]
    )
    assert only_navigates(menu)
    assert not only_navigates(field)
    assert not only_navigates(None)
    await redis.aclose()


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_whole_session_shows_money_one_way(
    send, telegram, ready_player, unthrottle, language
):
    """Every screen a player meets in a session, read as a transcript: Stars are "⭐", never
    "XTR"; the chat grows by results, not by menus."""
    player, _ = await ready_player(language)
    taps: list[tuple[str, Any]] = [
        ("/start", None),
        ("balance", Menu(action="balance")),
        ("back", Menu(action="main")),
        ("help", Menu(action="help")),
        ("back", Menu(action="main")),
        ("language", Menu(action="language")),
        ("same language", Language(code=language)),
        ("games", Menu(action="games")),
        ("coin", PickGame(game="coin")),
        ("10 ⭐", PickStake(game="coin", stake=10)),
        ("first option", "option"),
        ("an old keyboard", "old"),
        ("limits", Menu(action="limits")),
        ("a loss limit", Care(action="kind", kind="loss")),
        ("/limits", None),
        ("/help", None),
        ("/fairness", None),
        ("/withdraw", None),
        ("/paysupport", None),
        ("/terms", None),
        ("/privacy", None),
        ("/start", None),
        ("deposit", Menu(action="deposit")),
        ("100 ⭐", Deposit(amount=100)),
        ("hello?", None),
        ("a sticker", "sticker"),
        ("/nonsense", None),
    ]
    old: int | None = None
    lines: list[str] = []
    for label, what in taps:
        await unthrottle(player)
        seen = len(telegram.calls)
        if what is None:
            await send(player.message(label))
        elif what == "sticker":
            await send(player.message(sticker=_sticker()))
        elif what == "option":
            options = telegram.of(SendMessage)[-1]
            old = telegram.message_id(options)
            await send(player.tap(options.reply_markup.inline_keyboard[0][0].callback_data))
        elif what == "old":
            assert old is not None
            await send(player.tap(Menu(action="history").pack(), message_id=old))
        else:
            await send(player.tap(what.pack()))
        lines.append(f"> {label}")
        lines += _shown(telegram.calls[seen:])
    transcript = "\n".join(lines) + "\n"
    _write(TRANSCRIPTS / f"bot-nav-{language}.txt", transcript)
    assert "XTR" not in transcript
    # The old keyboard is tapped right after the result: a double tap, pointed at the result.
    assert JUST_REPLACED[language] in transcript
    assert transcript.count(NOT_UNDERSTOOD[language]) == 3


def _shown(calls: list[TelegramMethod[Any]]) -> list[str]:
    """What the player saw: messages sent ("<"), screens edited in place ("<~"), toasts ("~"),
    each keyboard as rows of [labels]."""
    lines = []
    for call in calls:
        if isinstance(call, AnswerCallbackQuery):
            if call.text:
                lines.append(f"~ {call.text}")
            continue
        if isinstance(call, EditMessageReplyMarkup) and call.reply_markup is None:
            lines.append("<~ (the old message loses its keyboard)")
            continue
        if isinstance(call, SendMessage | EditMessageText):
            mark = "<" if isinstance(call, SendMessage) else "<~"
            lines.append(f"{mark} " + call.text.replace("\n", "\n  "))
        elif type(call).__name__ == "SendInvoice":
            lines.append(f"< [invoice] {call.title}: {call.description}")  # type: ignore[attr-defined]
        else:
            continue
        markup = getattr(call, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", None) or []:
            lines.append("  " + " ".join(f"[{b.text}]" for b in row))
    return lines


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def _button(data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=data, callback_data=data)
