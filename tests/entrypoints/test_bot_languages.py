"""The bot in five languages through the real Dispatcher (issue 23): a player's Telegram
language_code picks the language at first contact (es-*, pt-*, tr-*), the language screen offers
all five and switches at once, and a Spanish player's session reads Spanish from the welcome to
a settled bet (so does a Portuguese and a Turkish one). Transcripts:
.croupier/test/transcripts/bot-languages-{es,pt,tr}.txt, gathered into docs/transcripts/."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.money import XTR, Money
from entrypoints.bot.i18n import Translator, languages
from entrypoints.bot.keyboards import Gate, Language, Menu, PickGame, PlaceBet
from tests.entrypoints.bot_chat import buttons, chat  # noqa: F401
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

NAMES = {"en": "English", "ru": "Русский", "es": "Español", "pt": "Português", "tr": "Türkçe"}


async def _stored_language(engine, player: Player) -> str:
    player_id = await _player_id(engine, player)
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT language FROM player_preferences WHERE player_id = :p"),
                {"p": player_id},
            )
        ).scalar_one()


@pytest.mark.parametrize(
    ("telegram_code", "language"), [("es-ES", "es"), ("pt-br", "pt"), ("tr", "tr")]
)
async def test_the_telegram_language_picks_the_first_words(
    send, telegram, engine, telegram_code, language
):
    t = Translator(language)
    player = Player(telegram_code)
    await send(player.message("/start"))
    welcome, gate = telegram.of(SendMessage)[-2:]
    assert welcome.text == t("start.welcome", name="Ann")
    assert gate.text == t("start.gate")
    assert list(buttons(gate)) == [t("start.accept")]
    await send(player.tap(Gate(accept=True).pack()))
    (toast,) = [c for c in telegram.of(AnswerCallbackQuery) if c.text][-1:]
    assert toast.text == t("start.accepted")
    assert await _stored_language(engine, player) == language


async def test_the_language_screen_offers_five_and_switches(
    ready_player,
    chat,  # noqa: F811
    engine,
):
    spanish = Translator("es")
    player = await ready_player("es-MX")
    me = chat(player)
    await me.tap(spanish("menu.language"), Menu(action="language").pack())
    screen = me.shown()
    assert spanish("start.choose_language") in screen.text
    offered = {label: data for label, data in buttons(screen).items() if data.startswith("l:")}
    assert {Language.unpack(data).code for data in offered.values()} == set(languages())
    assert {label.split(" ")[0] for label in offered} == set(NAMES.values())

    turkish = Translator("tr")
    calls = await me.tap("Türkçe 🇹🇷", Language(code="tr").pack())
    toasts = [c.text for c in calls if isinstance(c, AnswerCallbackQuery)]
    assert toasts == ["Dil Türkçe olarak ayarlandı."]
    assert me.shown().text.startswith(turkish("start.language_set"))
    assert turkish("menu.title", balance="1000 ⭐") in me.shown().text
    assert turkish("menu.games") in buttons(me.shown())
    assert await _stored_language(engine, player) == "tr"


@pytest.mark.parametrize(
    ("telegram_code", "language"), [("es-ES", "es"), ("pt-BR", "pt"), ("tr", "tr")]
)
async def test_a_session_reads_in_the_players_language(
    chat,  # noqa: F811
    credit,
    fund_bankroll,
    engine,
    unique_key,
    telegram_code,
    language,
):
    """From the welcome to a settled bet, limits and history: the transcript a person who
    speaks the language reads to judge the translation."""
    t = Translator(language)
    player = Player(telegram_code)
    me = chat(player)
    await me.say("/start")
    await me.tap(t("start.accept"), Gate(accept=True).pack())
    menu = buttons(me.shown())
    assert set(menu) >= {t("menu.games"), t("menu.limits"), t("menu.language")}
    await me.tap(t("menu.balance"), menu[t("menu.balance")])
    await me.tap(t("menu.back"), Menu(action="main").pack())
    await me.tap(t("menu.deposit"), menu[t("menu.deposit")])
    # No deposit limit and never answered: the deposit-limit prompt comes first (issue 23).
    assert me.shown().text == t("deposit_prompt.ask")
    await me.tap(t("menu.back"), Menu(action="main").pack())

    await fund_bankroll()
    player_id = await _player_id(engine, player)
    await credit(CreditDepositCommand(player_id, Money(1000, XTR), unique_key(language)))
    await me.tap(t("menu.games"), Menu(action="games").pack())
    assert t("games.choose") in me.shown().text
    await me.tap(t("game_texts.name.coin"), PickGame(game="coin").pack())
    play = t("stakes.play", stake="10 ⭐")
    await me.tap(play, buttons(me.shown())[play])
    bets = {label: data for label, data in buttons(me.shown()).items() if data.startswith("b:")}
    label, data = next(iter(bets.items()))
    assert PlaceBet.unpack(data).stake == 10
    calls = await me.tap(label, data)
    said = " ".join(c.text for c in calls if isinstance(c, SendMessage))
    assert t("game_texts.name.coin") in said
    assert "10 ⭐" in said
    assert "XTR" not in said

    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    assert t("care.title") in me.shown().text
    await me.tap(t("menu.back"), Menu(action="main").pack())
    await me.tap(t("menu.history"), Menu(action="history").pack())
    await me.say("/help")
    assert t("help.text") in me.shown().text
    me.write(f"bot-languages-{language}.txt")
