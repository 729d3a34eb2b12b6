"""Games in the player's language (entrypoints/bot/game_texts.py): every game, option and
outcome reads in English and Russian without raw codes or English left in Russian; each
button shows the domain's own multiplier; each result says the game, the option, the stake,
the outcome, the payout and the net, states the rounding when a win was floored, celebrates a
big win louder, and two bets placed during one animation are told apart. Played through the
bot, every game once, the conversation is written to
.croupier/test/transcripts/bot-games-<language>.txt for a person to read."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendDice, SendMessage
from redis.asyncio import Redis

from domain.bets import Bet, BetState
from domain.games.base import Game, Selection, format_multiplier, payout_for
from domain.games.catalog import GAMES
from domain.games.crash import LOST
from domain.games.limbo import RESULT_CAP
from domain.games.mines import TILES
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from entrypoints.bot import keyboards
from entrypoints.bot.game_texts import (
    game_name,
    ledger_kind,
    option_text,
    outcome_text,
    result_text,
    settled_line,
    when,
)
from entrypoints.bot.handlers import games as games_handlers
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import OPTIONS, BetsPage, Menu, PickGame, PickStake
from tests.entrypoints.telegram_fakes import FakeTelegram, Player

# The fixture `ready_player` (a player past the gate with 1000 ⭐), shared with plinko's tests.
from tests.entrypoints.test_bot_plinko import ready_player  # noqa: F401

TRANSCRIPTS = Path(".croupier/test/transcripts")
EDGE = Fraction(1, 100)
LANGUAGES = ("en", "ru")
LATIN = re.compile(r"[A-Za-z]")
NOW = datetime(2026, 12, 3, 7, 45, tzinfo=UTC)


def _outcomes(game: Game, selection: Selection) -> Iterator[int]:
    """Every outcome a player can meet, or for the huge spaces the edges and a spread."""
    match game.code:
        case "dice":
            yield from range(10_001)
        case "coin":
            yield from (0, 1)
        case "roulette":
            yield from range(37)
        case "limbo":
            yield from (100, 101, 199, 200, 999, 1000, 123_456, RESULT_CAP)
        case "plinko":
            rows = selection.value or 0
            yield from {0, 2**rows - 1, int("01" * 8, 2) % 2**rows, 0b1011, 2 ** (rows - 1)}
        case "mines":
            yield from range(TILES - (selection.value or 0) + 1)
        case "crash":
            yield from (LOST, 100, 101, 250, game.ceiling(selection))
        case _:
            yield from range(1, game.faces + 1)


def _selections(game: Game) -> Iterator[Selection]:
    if game.code in ("dice", "limbo", "crash"):  # thousands of targets: the offered ones
        offered = [game.parse(p) for p in OPTIONS.get(game.code, {}).values()]
        yield from offered or [game.parse({}), game.parse({"target": "2.5"})]
        return
    yield from game.selections()


def _settled(game: Game, selection: Selection, outcome: int, stake: int = 10) -> Bet:
    multiplier = game.multiplier(selection, outcome, EDGE)
    payout = payout_for(stake, multiplier)
    return Bet(
        id=uuid.uuid4(),
        player_id=7,
        game=game.code,
        selection=selection,
        stake=Money(stake, XTR),
        house_edge=EDGE,
        max_payout=10**9,
        state=BetState.WON if payout else BetState.LOST,
        placed_at=NOW,
        placed_transaction_id=uuid.uuid4(),
        params=game.params(selection),
        outcome=outcome,
        multiplier=multiplier,
        payout=payout,
        settled_at=NOW,
        settlement_transaction_id=uuid.uuid4(),
    )


def _check_reads(language: str, shown: str) -> None:
    assert "_" not in shown, shown  # no raw code
    assert "{" not in shown, shown  # no unfilled template
    assert not any(code in shown for code in GAMES if "_" in code), shown
    if language == "ru":
        assert not LATIN.search(shown), f"English left in Russian: {shown!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_game_option_and_outcome_reads_in_each_language(language):
    t = Translator(language)
    names = {game_name(t, code) for code in GAMES}
    assert len(names) == len(GAMES)  # the two dice games among them: each its own name
    rendered = 0
    for game in GAMES.values():
        _check_reads(language, game_name(t, game.code))
        for selection in _selections(game):
            _check_reads(language, option_text(t, game, selection))
            for outcome in _outcomes(game, selection):
                _check_reads(language, outcome_text(t, game, selection, outcome))
                bet = _settled(game, selection, outcome)
                _check_reads(language, result_text(t, bet, Money(990, XTR)))
                rendered += 1
    assert rendered > 30_000
    for kind in TransactionKind:
        _check_reads(language, ledger_kind(t, kind))


def test_the_two_dice_games_have_different_names_in_each_language():
    for language in LANGUAGES:
        t = Translator(language)
        assert game_name(t, "tg_dice") != game_name(t, "dice")
    assert game_name(Translator("ru"), "tg_dice") == "Кубик 🎲"


@pytest.mark.parametrize("edge", [Fraction(1, 100), Fraction(3, 100), Fraction(1, 40)])
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_button_shows_the_domains_multiplier_never_rounded_up(language, edge):
    t = Translator(language)
    for code, offered in OPTIONS.items():
        game = GAMES[code]
        markup = keyboards.options(t, code, 10, edge)
        buttons = [b.text for row in markup.inline_keyboard for b in row]
        assert len(buttons) == len(offered)
        for shown, params in zip(buttons, offered.values(), strict=True):
            _check_reads(language, shown)
            multiplier = game.max_multiplier(game.parse(params), edge)
            found = re.search(r"×([0-9.]+)$", shown)
            assert found is not None, shown
            assert found[1] == format_multiplier(multiplier), shown
            assert Fraction(Decimal(found[1])) == multiplier  # exact: never rounded up


def test_the_coin_buttons_show_1_98():
    markup = keyboards.options(Translator("en"), "coin", 10, EDGE)
    assert [b.text for b in markup.inline_keyboard[0]] == ["Heads ×1.98", "Tails ×1.98"]


def test_a_win_a_loss_and_a_floored_win_say_what_happened():
    t, ru = Translator("en"), Translator("ru")
    dice = GAMES["tg_dice"]
    high = dice.parse({"bet": "high"})
    assert settled_line(t, _settled(dice, high, 5)) == "10 ⭐ on 4–6 → 🎲 5 → you win 19 ⭐, +9"
    assert settled_line(t, _settled(dice, high, 2)) == "10 ⭐ on 4–6 → 🎲 2 → lost, −10"
    assert settled_line(ru, _settled(dice, high, 2)) == "10 ⭐ на «4–6» → 🎲 2 → проигрыш, −10"
    floored = result_text(t, _settled(dice, high, 5), Money(1009, XTR))
    assert floored.splitlines() == [
        "🎉 Dice 🎲",
        "10 ⭐ on 4–6 → 🎲 5 → you win 19 ⭐, +9",
        "×1.98 of 10 ⭐ is 19.8, paid 19 ⭐: wins are rounded down to whole stars.",
        "Balance: 1009 ⭐",
    ]
    # A whole payout needs no word about rounding.
    exact = result_text(t, _settled(dice, high, 5, stake=100), Money(1098, XTR))
    assert "rounded" not in exact
    assert "you win 198 ⭐, +98" in exact
    coin = GAMES["coin"]
    assert "выплачено 19 ⭐" in result_text(
        ru, _settled(coin, Selection("heads"), 0), Money(0, XTR)
    )


def test_a_payout_capped_by_a_limit_is_not_called_rounding():
    dice = GAMES["tg_dice"]
    capped = replace(_settled(dice, dice.parse({"bet": "high"}), 5), payout=15)
    assert "rounded" not in result_text(Translator("en"), capped, Money(0, XTR))


def test_some_of_the_stake_back_is_not_cheered():
    plinko = GAMES["plinko"]
    selection = plinko.parse({"rows": "8", "risk": "low"})
    shown = result_text(Translator("en"), _settled(plinko, selection, 0b1111), Money(5, XTR))
    assert shown.splitlines()[:2] == [
        "🔸 Plinko 🔐",
        "10 ⭐ on 8 · low → slot 4 of 0–8, path RRRRLLLL → ×0.5: 5 ⭐ back, −5",
    ]
    assert "🎉" not in shown


def test_a_big_win_is_celebrated_more_than_a_small_one():
    t = Translator("en")
    slot, spin = GAMES["tg_slot"], Selection("spin")
    small = result_text(t, _settled(GAMES["coin"], Selection("heads"), 0), Money(0, XTR))
    triple = result_text(t, _settled(slot, spin, 1), Money(0, XTR))  # BAR BAR BAR: 10×
    sevens = result_text(t, _settled(slot, spin, 64), Money(0, XTR))  # three sevens: 32×
    assert small.splitlines()[0] == "🎉 Coin flip 🔐"
    assert triple.splitlines()[0] == "🎉🎉🎉 BIG WIN ×10! Slot machine 🎰"
    assert sevens.splitlines()[0] == "💥🏆💥 JACKPOT ×32! Slot machine 🎰"
    assert "🎰 seven · seven · seven" in sevens
    assert Translator("ru")("game_texts.cheer_big", game="", multiplier=10).startswith("🎉🎉🎉")


def test_times_say_their_zone():
    t = Translator("ru")
    moscow = timezone(timedelta(hours=3))
    moscow_time = datetime(2026, 12, 3, 10, 45, tzinfo=moscow)
    assert when(t, moscow_time) == "03.12 07:45 по UTC"
    assert when(Translator("en"), moscow_time) == "03.12 07:45 UTC"


# -- through the bot --------------------------------------------------------------------------


@pytest.fixture
async def unthrottle(servers):
    """Forget a player's taps so far: a whole tour in one go is more than a person's pace
    (the bot's tap throttle, entrypoints/bot/middlewares.py)."""
    client = Redis.from_url(servers.redis_url)

    async def forget(player: Player) -> None:
        await client.delete(f"croupier:bot:throttle:{player.user.id}")

    yield forget
    await client.aclose()


def _button(telegram, index: int = 0):
    """The index-th button of the last keyboard sent."""
    markup = telegram.screen().reply_markup
    return [b for row in markup.inline_keyboard for b in row][index]


# Every game of the games screens once: (game, option button index, the dice value if any).
EVERY_GAME = [
    ("tg_dice", 3, 5),  # 4–6, and a 5: a floored win
    ("tg_slot", 0, 64),  # three sevens: the jackpot
    ("tg_darts", 0, 2),  # bullseye, and a miss
    ("tg_basketball", 1, 1),
    ("tg_football", 0, 5),
    ("tg_bowling", 1, 3),
    ("dice", 0, None),
    ("coin", 0, None),
    ("roulette", 0, None),
    ("limbo", 0, None),
    ("plinko", 2, None),
]


@pytest.mark.integration
@pytest.mark.usefixtures("books")
@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_game_through_the_bot_reads_in_the_players_language(
    send,
    telegram,
    ready_player,  # noqa: F811 - the fixture imported above
    unthrottle,
    language,
):
    player, _ = await ready_player(language)
    t = Translator(language)
    transcript: list[str] = []
    await send(player.tap(Menu(action="games").pack()))
    lobby = [b.text for row in telegram.screen().reply_markup.inline_keyboard
             for b in row]  # fmt: skip
    assert [game_name(t, code) for code in keyboards.GAME_BUTTONS] == lobby[:-1]
    for code, option, dice in EVERY_GAME:
        await unthrottle(player)
        start = len(telegram.calls)
        await send(player.tap(PickGame(game=code).pack()))
        transcript += _transcript(telegram.calls[start:], game_name(t, code))
        start = len(telegram.calls)
        await send(player.tap(PickStake(game=code, stake=10).pack()))
        transcript += _transcript(telegram.calls[start:], "10 ⭐")
        chosen = _button(telegram, option)
        if dice is not None:
            telegram.dice_values.append(dice)
        start = len(telegram.calls)
        await send(player.tap(chosen.callback_data))
        transcript += _transcript(telegram.calls[start:], chosen.text)
        result = telegram.of(SendMessage)[-1].text
        assert game_name(t, code) in result.splitlines()[0]
        assert chosen.text.split(" ×")[0].split(" ≤")[0] in result, (chosen.text, result)
        assert "10 ⭐" in result
        if language == "ru":
            # The fairness line keeps its technical words (nonce, the hash, the command);
            # everything else is Russian.
            said = [line for line in result.splitlines() if "/fairness" not in line]
            assert not LATIN.search("\n".join(said)), result
    jackpot = next(text for text in transcript if "💥🏆💥" in text)
    assert "×32" in jackpot
    # The 4–6 button said the configured multiplier; the result says how 10 ⭐ of it was paid.
    four_to_six = next(line for line in transcript if line.startswith("> tap: 4–6"))
    multiplier = Fraction(Decimal(four_to_six.split("×")[1]))
    assert (10 * multiplier).denominator != 1  # this test needs a fractional payout
    floored = next(
        line for line in transcript if line.startswith(f"< 🎉 {game_name(t, 'tg_dice')}")
    )
    assert t("game_texts.rounded", multiplier=format_multiplier(multiplier),
             stake=Money(10, XTR), exact=format_multiplier(10 * multiplier),
             payout=Money(payout_for(10, multiplier), XTR)) in floored  # fmt: skip
    # History names what the result named, with times in UTC, edited in place.
    await unthrottle(player)
    start = len(telegram.calls)
    await send(player.tap(Menu(action="history").pack()))
    await send(player.tap(BetsPage(page=1).pack()))
    screens = [c for c in telegram.calls[start:] if isinstance(c, EditMessageText)]
    assert len(screens) == 2
    movements, bets = screens[0].text, screens[1].text
    assert "UTC" in movements
    assert "UTC" in bets
    for raw in ("tg_", "_", "dice:", "XTR"):
        assert raw not in movements + bets, raw
    for kind in TransactionKind:
        assert f"· {kind.value} " not in movements, kind
    assert game_name(t, "tg_bowling") in bets
    transcript += _transcript(telegram.calls[start:], "history, then my bets")
    _write(TRANSCRIPTS / f"bot-games-{language}.txt", "\n".join(transcript) + "\n")


@pytest.mark.integration
@pytest.mark.usefixtures("books")
async def test_two_bets_during_one_animation_are_told_apart(
    send,
    telegram,
    ready_player,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    player, _ = await ready_player("en")
    await send(player.tap(PickStake(game="tg_dice", stake=10).pack()))
    even, face = _button(telegram, 0), _button(telegram, 9)  # "Even", "Exactly 6"
    telegram.dice_values.extend([6, 6])
    start = len(telegram.calls)
    # The dice animation lasts until both bets' dice are thrown: the second tap always lands
    # while the first bet's dice roll (after the first result, its fresh keyboard would make
    # this one out of date, and an out-of-date keyboard places nothing: freshness.py).
    both_thrown = asyncio.Event()

    async def animation(delay: float) -> None:
        if len(telegram.of(SendDice)) >= 2:
            both_thrown.set()
        await asyncio.wait_for(both_thrown.wait(), timeout=10)

    monkeypatch.setattr(games_handlers, "asyncio", SimpleNamespace(sleep=animation))
    await asyncio.gather(send(player.tap(even.callback_data)), send(player.tap(face.callback_data)))
    sent = [c for c in telegram.calls[start:] if isinstance(c, SendMessage | SendDice)]
    placed = [c for c in sent if isinstance(c, SendMessage) and c.text.startswith("⏳")]
    results = [c for c in sent if isinstance(c, SendMessage) and not c.text.startswith("⏳")]
    assert sorted(p.text for p in placed) == [
        "⏳ Dice 🎲: 10 ⭐ on Even ×1.94. Rolling…",  # the tests' 🎲 runs at a 3% edge
        "⏳ Dice 🎲: 10 ⭐ on Exactly 6 ×5.82. Rolling…",
    ]
    lines = {r.text.splitlines()[1] for r in results}
    assert lines == {
        "10 ⭐ on Even → 🎲 6 → you win 19 ⭐, +9",
        "10 ⭐ on Exactly 6 → 🎲 6 → you win 58 ⭐, +48",
    }
    # Each dice and each result replies to its own bet's message, whichever finished first.
    ids = [m.message_id for m in await _answers(telegram, placed)]
    bet_of = {i: p.text.split(": ", 1)[1].split(" ×")[0] for i, p in zip(ids, placed, strict=True)}
    dice = [c for c in sent if isinstance(c, SendDice)]
    assert sorted(d.reply_parameters.message_id for d in dice) == sorted(ids)
    for result in results:
        said = result.text.splitlines()[1].split(" → ")[0]
        assert bet_of[result.reply_parameters.message_id] == said
    assert ids[0] != ids[1]


async def _answers(telegram, sent: list[SendMessage]):
    """The messages Telegram answered these sends with."""
    return [telegram.answered[id(call)] for call in sent]


class AnsweringTelegram(FakeTelegram):
    """The fake Bot API, keeping what it answered to each call (a sent message's id)."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: dict[int, Any] = {}

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        answer = await super().make_request(bot, method, timeout)
        self.answered[id(method)] = answer
        return answer


@pytest.fixture
def telegram():
    return AnsweringTelegram()


def _transcript(calls, tapped: str) -> list[str]:
    lines = [f"> tap: {tapped}"]
    for call in calls:
        if isinstance(call, SendMessage | EditMessageText):
            lines.append(("< " if isinstance(call, SendMessage) else "<~ ") + call.text)
            for row in getattr(call.reply_markup, "inline_keyboard", None) or []:
                lines.append("  " + " ".join(f"[{b.text}]" for b in row))
        elif isinstance(call, SendDice):
            lines.append(f"< (dice {call.emoji})")
    return lines


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
