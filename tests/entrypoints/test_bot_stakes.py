"""The stake picker end to end through the Dispatcher: ½, ×2, min, max and a typed amount around a
current stake, never more than the balance nor outside the game's limits; a forged stake is
refused politely; mines and crash take their stake on the same picker; and a player on a
time-out, self-excluded, blocked or not through the 18+ gate sees that state on the games list
and the deposit screen. Transcripts: .croupier/test/transcripts/bot-stakes-<language>.txt and
bot-paused-<language>.txt."""

from __future__ import annotations

import re

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import ForceReply

from application.player_admin import BlockPlayer
from application.responsible import SelfExclude
from application.staff import Actor
from domain.games.catalog import StakeLimits
from domain.money import XTR, Money
from domain.responsible import SelfExclusionPeriod
from domain.stakes import StakeProblem, StakeRange
from entrypoints.bot.game_texts import game_name
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Care, Deposit, Menu, PickGame, PickStake, PlaceBet
from entrypoints.bot.stake_picker import StakeControl, problem_text
from tests.entrypoints.bot_chat import Chat, buttons, chat  # noqa: F401
from tests.entrypoints.bot_player import _balance, _player_id
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LANGUAGES = ["en", "ru"]
# The game limits every game has in XTR (migration 0002), for a player with 120 ⭐.
RANGE_120 = StakeRange(StakeLimits(1, 10_000, 1_000_000), Money(120, XTR))


def _stake_on_screen(me: Chat, t: Translator) -> int:
    """The stake the picker shows, read from its "play for" button's callback data, which must
    match the button's label."""
    for label, data in buttons(me.shown()).items():
        if data.startswith(PickStake.__prefix__ + ":"):
            stake = PickStake.unpack(data).stake
            assert label == t("stakes.play", stake=f"{stake} ⭐"), label
            return stake
    raise AssertionError(f"no stake on {me.shown().text!r}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stake_controls_never_offer_more_than_the_balance(
    ready_player,
    chat,  # noqa: F811
    telegram,
    language,
):
    t = Translator(language)
    player = await ready_player(language, balance=120)
    me = chat(player)
    await me.tap(t("menu.games"), Menu(action="games").pack())
    coin = PickGame(game="coin").pack()
    assert coin in buttons(me.shown()).values()
    await me.tap("Coin 🔐", coin)
    screen = me.shown()
    assert _stake_on_screen(me, t) == 10
    assert t("stakes.range_balance", low="1 ⭐", high="120 ⭐") in screen.text
    labels = list(buttons(screen))
    assert labels[:4] == [t("stakes.half"), t("stakes.double"), t("stakes.min"), t("stakes.max")]
    assert t("stakes.type") in labels

    async def press(step: str) -> list:
        label = {"half": "stakes.half", "double": "stakes.double"}.get(step, f"stakes.{step}")
        data = buttons(me.shown())[t(label)]
        assert StakeControl.unpack(data).step == step
        return await me.tap(t(label), data)

    expected = [("double", 20), ("max", 120), ("half", 60), ("min", 1), ("double", 2)]
    for step, stake in expected:
        await press(step)
        assert _stake_on_screen(me, t) == stake
        assert 1 <= stake <= 120
    await press("max")
    edits = len(telegram.calls)
    calls = await press("double")  # at the balance already: said, nothing changes
    toast = next(c for c in calls if isinstance(c, AnswerCallbackQuery))
    assert toast.text == t("stakes.already_max", high="120 ⭐")
    assert _stake_on_screen(me, t) == 120
    assert not [c for c in telegram.calls[edits:] if not isinstance(c, AnswerCallbackQuery)]
    await press("min")
    calls = await press("half")
    toast = next(c for c in calls if isinstance(c, AnswerCallbackQuery))
    assert toast.text == t("stakes.already_min", low="1 ⭐")

    await press("max")
    play = t("stakes.play", stake="120 ⭐")
    await me.tap(play, buttons(me.shown())[play])
    assert "120 ⭐" in me.shown().text  # the game's options for the stake picked
    assert PlaceBet.__prefix__ + ":coin:120:" in " ".join(buttons(me.shown()).values())
    me.write(f"bot-stakes-{language}.txt")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_typed_stake_is_read_politely(ready_player, chat, telegram, language):  # noqa: F811
    t = Translator(language)
    player = await ready_player(language, balance=120)
    me = chat(player)
    await me.tap("Dice 🔐", PickGame(game="dice").pack())
    calls = await me.tap(t("stakes.type"), buttons(me.shown())[t("stakes.type")])
    (prompt,) = [c for c in calls if isinstance(c, SendMessage)]
    assert isinstance(prompt.reply_markup, ForceReply)
    assert "1 ⭐" in prompt.text
    assert "120 ⭐" in prompt.text

    not_a_number = t("stakes.not_a_number")
    answers = {
        "hello": not_a_number,
        "1e3": not_a_number,
        "²": not_a_number,
        "2.5": not_a_number,
        "0": t("stakes.below_min", game=game_name(t, "dice"), low="1 ⭐"),
        "-5": t("stakes.below_min", game=game_name(t, "dice"), low="1 ⭐"),
        "9" * 40: t("stakes.above_max", game=game_name(t, "dice"), max="10000 ⭐"),
        "10001": t("stakes.above_max", game=game_name(t, "dice"), max="10000 ⭐"),
        "500": t("stakes.above_balance", balance="120 ⭐", high="120 ⭐"),
    }
    for typed, answer in answers.items():
        calls = await me.say(typed)
        (reply,) = [c for c in calls if isinstance(c, SendMessage)]
        assert reply.text == answer, typed
        assert list(buttons(reply)) == [t("stakes.cancel")]  # and it waits for another number
    cancel = buttons(me.shown())[t("stakes.cancel")]

    await me.say("25 ⭐")
    assert _stake_on_screen(me, t) == 25
    assert t("stakes.title", game=game_name(t, "dice"), stake="25 ⭐") in me.shown().text
    before = len(telegram.calls)
    await me.say("30")  # the picker no longer waits: a number is not a stake now
    assert not [c for c in telegram.of(SendMessage)[before:] if "30 ⭐" in c.text]

    # The Cancel under an answered number is an old keyboard now (the picker came after it):
    # it is refused as out of date, and the menu comes back.
    calls = await me.tap(t("stakes.cancel"), cancel)
    toasts = [c.text for c in calls if isinstance(c, AnswerCallbackQuery)]
    assert toasts == [t("nav.out_of_date")]
    me.write(f"bot-stakes-typed-{language}.txt")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_forged_stake_is_refused_politely(
    ready_player,
    chat,  # noqa: F811
    telegram,
    engine,
    balances,
    language,
):
    t = Translator(language)
    player = await ready_player(language, balance=120)
    me = chat(player)
    for game, stake, key in [
        ("coin", 999_999, "above_max"),
        ("coin", 500, "above_balance"),
        ("mines", 10_001, "above_max"),
        ("crash", 121, "above_balance"),
        ("dice", 0, "below_min"),
    ]:
        calls = await me.tap("forged", PickStake(game=game, stake=stake).pack())
        alert = next(c for c in calls if isinstance(c, AnswerCallbackQuery))
        assert alert.show_alert, (game, stake)
        assert alert.text == problem_text(t, game, RANGE_120, StakeProblem(key))
        assert len(alert.text) <= 200
        # The picker comes back at the nearest stake allowed; no game screen follows.
        assert 1 <= _stake_on_screen(me, t) <= 120
    # A control carrying a forged stake moves from the nearest stake allowed now.
    await me.tap("forged ×2", StakeControl(game="coin", stake=999_999, step="half").pack())
    assert _stake_on_screen(me, t) == 60
    # And a forged bet is the placement's to refuse: nothing moves.
    await me.tap("forged bet", PlaceBet(game="coin", stake=999_999, option="h", press="f").pack())
    assert telegram.of(AnswerCallbackQuery)[-1].show_alert
    assert await _balance(balances, engine, player) == Money(120, XTR)


async def test_an_empty_balance_offers_a_deposit_not_a_stake(ready_player, chat):  # noqa: F811
    t = Translator("en")
    me = chat(await ready_player(balance=0))
    await me.tap("Coin 🔐", PickGame(game="coin").pack())
    assert me.shown().text == (
        "Coin flip 🔐: the smallest stake is 1 ⭐, and your balance is 0 ⭐. Deposit to play."
    )
    assert buttons(me.shown())[t("menu.deposit")] == Menu(action="deposit").pack()
    assert not [d for d in buttons(me.shown()).values() if d.startswith("s:")]


async def test_mines_and_crash_take_their_stake_on_the_picker(ready_player, chat):  # noqa: F811
    t = Translator("en")
    me = chat(await ready_player(balance=1000))
    await me.tap("Mines 💣", PickGame(game="mines").pack())
    await me.tap("×2", buttons(me.shown())[t("stakes.double")])
    assert _stake_on_screen(me, t) == 20
    await me.tap("Play", buttons(me.shown())[t("stakes.play", stake="20 ⭐")])
    assert "20 ⭐" in me.shown().text
    assert any(d.startswith("mo:20:") for d in buttons(me.shown()).values())

    await me.tap("Crash 🚀", PickGame(game="crash").pack())
    await me.tap("Max", buttons(me.shown())[t("stakes.max")])
    assert _stake_on_screen(me, t) == 1000
    await me.tap("Play", buttons(me.shown())[t("stakes.play", stake="1000 ⭐")])
    assert "1000 ⭐" in me.shown().text
    assert any(":1000:" in d for d in buttons(me.shown()).values())


def _no_play(me: Chat) -> None:
    """No game, stake or deposit amount is offered on the screen shown."""
    offered = buttons(me.shown()).values()
    assert not [d for d in offered if d.split(":")[0] in ("g", "s", "d", "sc", "sa")], offered


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_paused_player_sees_the_state_on_games_and_deposit(
    ready_player,
    chat,  # noqa: F811
    engine,
    uow_factory,
    clock,
    send,
    language,
):
    t = Translator(language)
    me = chat(await ready_player(language))
    await me.tap(t("care.timeout"), Care(action="timeout_go", period="24h").pack())
    for menu in ("games", "deposit"):
        await me.tap(t(f"menu.{menu}"), Menu(action=menu).pack())
        shown = me.shown()
        assert re.match(re.escape(t("care.timed_out", until="@")).replace("@", ".+"), shown.text)
        assert list(buttons(shown).values()) == [
            Menu(action="withdraw").pack(),
            Menu(action="limits").pack(),
            Menu(action="main").pack(),
        ]
        _no_play(me)

    ann = chat(await ready_player(language))
    await SelfExclude(uow_factory, clock)(
        await _player_id(engine, ann.player), SelfExclusionPeriod.PERMANENT
    )
    for menu in ("games", "deposit"):
        await ann.tap(t(f"menu.{menu}"), Menu(action=menu).pack())
        assert ann.shown().text == t("care.self_excluded_forever")
        _no_play(ann)

    bob = chat(await ready_player(language))
    await BlockPlayer(uow_factory, clock)(
        await _player_id(engine, bob.player), "review", Actor("staff:ops")
    )
    for menu in ("games", "deposit"):
        await bob.tap(t(f"menu.{menu}"), Menu(action=menu).pack())
        assert bob.shown().text == t("start.blocked")
        _no_play(bob)

    newcomer = chat(Player(language))
    await newcomer.say("/start")
    for menu in ("games", "deposit"):
        await newcomer.tap(t(f"menu.{menu}"), Menu(action=menu).pack())
        assert newcomer.shown().text == t("start.gate")
        assert list(buttons(newcomer.shown())) == [t("start.accept")]

    # The last tap is refused all the same (an old keyboard): the use cases decide.
    await me.tap("old 100 ⭐", Deposit(amount=100).pack())
    await me.tap("old bet", PlaceBet(game="coin", stake=10, option="h", press="p").pack())
    # One transcript for a person to read: a time-out, an exclusion, a block, a newcomer.
    transcript = chat(me.player)
    transcript.lines = [*me.lines, "", "--- another player, self-excluded ---", *ann.lines]
    transcript.lines += ["", "--- another player, blocked ---", *bob.lines]
    transcript.lines += ["", "--- a newcomer, not through the 18+ gate ---", *newcomer.lines]
    transcript.write(f"bot-paused-{language}.txt")
