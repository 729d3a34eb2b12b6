"""Duel lobbies in a group chat, through the real dispatcher with a mocked Bot API: `/lobby`
opens one with the opener's seat and stake; Join, Leave and Start with their refusals (the
opener alone starts, the opener's seat stays, a seat is taken once); the bot's own dice, one
per seat, a tie at the top rolled again by the tied seats alone; the result with pot, cut and
winner; a lobby the last seat fills starts by itself. The conversation is written to
.croupier/test/transcripts/bot-lobbies-<language>.txt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, SendDice, SendMessage

from application.duels import ExpireLobbies
from domain.duel_lobbies import LobbyState
from domain.duels import DEFAULT_ROLL_WINDOW as RULES_ROLL_WINDOW
from entrypoints.bot.handlers.duel_lobbies_texts import LobbyTap
from entrypoints.bot.i18n import Translator
from tests.entrypoints.duel_group import Group, GroupTelegram
from tests.entrypoints.test_bot_duels import TRANSCRIPTS, Transcript, _roll, _write
from tests.entrypoints.test_bot_duels import member as member
from tests.entrypoints.test_bot_duels import telegram as telegram
from tests.entrypoints.test_bot_duels import wallet as wallet
from tests.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def _lobby(telegram: GroupTelegram) -> tuple[str, int]:
    """The lobby's id and the message id of the newest lobby opened."""
    for call in reversed(telegram.of(SendMessage)):
        markup = call.reply_markup
        if markup is not None:
            data = LobbyTap.unpack(markup.inline_keyboard[0][0].callback_data)
            return data.lobby, telegram.message_id(call)
    raise AssertionError("no lobby was shown")


def _tap(action: str, lobby: str) -> str:
    return LobbyTap(action=action, lobby=lobby).pack()


def _alert(telegram: GroupTelegram) -> str | None:
    return telegram.of(AnswerCallbackQuery)[-1].text


@pytest.mark.parametrize("language", ["en", "ru", "es", "pt", "tr"])
async def test_a_lobby_in_a_group_from_open_to_result(
    send,
    telegram,
    member,
    wallet,
    language,
) -> None:
    t = Translator(language)
    group = Group()
    ann, ann_id = await member(language, "Ann")
    bob, bob_id = await member(language, "Bob")
    cat, cat_id = await member(language, "Cat")
    dan, dan_id = await member(language, "Dan")
    telegram.calls.clear()
    telegram.admins.add(ann.user.id)
    log = Transcript(telegram)

    log.person(ann, "(adds the bot to the group; Ann is an admin)")
    await send(group.adds_bot(ann))
    assert telegram.of(SendMessage)[-1].text == t("duels.group.welcome")

    log.person(ann, "/lobby 10 🎲 4")
    await send(group.says(ann, "/lobby 10 🎲 4"))
    opened = telegram.of(SendMessage)[-1].text
    assert ann.user.username in opened
    assert "(1/4)" in opened
    assert await wallet(ann_id) == 90
    lobby, message_id = _lobby(telegram)

    def tap(who, action: str, note: str = ""):
        log.person(who, f"(taps {t('lobbies.' + action)}){note}")
        return send(group.taps(who, _tap(action, lobby), message_id, ann))

    await tap(bob, "join")
    assert await wallet(bob_id) == 90
    await tap(cat, "start")
    assert _alert(telegram) == t("lobbies.opener_only")
    await tap(cat, "join")
    await tap(cat, "leave")
    assert await wallet(cat_id) == 100
    await tap(cat, "join", "  (again)")
    assert _alert(telegram) == t("lobbies.already_seated")
    assert await wallet(cat_id) == 100
    await tap(dan, "join")
    await tap(ann, "leave")
    assert _alert(telegram) == t("lobbies.opener_stays")

    _roll(telegram, 5, 3, 5, 2, 6)  # Ann and Dan tie at 5; Dan wins the second round
    await tap(ann, "start")
    assert [c.emoji for c in telegram.of(SendDice)] == ["🎲"] * 5
    result = telegram.of(SendMessage)[-1].text
    # Pot 30, cut 5% = 1.5 rounded up to 2, prize 28.
    assert [n in result for n in ("28 ⭐", "30 ⭐", "2 ⭐", dan.user.username)] == [True] * 4
    wallets = [await wallet(p) for p in (ann_id, bob_id, cat_id, dan_id)]
    assert wallets == [90, 90, 100, 118]

    await tap(cat, "join", "  (after the start)")
    assert _alert(telegram) == t("lobbies.gone")
    assert len(telegram.of(SendDice)) == 5

    log.person(bob, "/lobby 5 🏀 2")
    await send(group.says(bob, "/lobby 5 🏀 2"))
    lobby, message_id = _lobby(telegram)
    _roll(telegram, 4, 1)
    log.person(cat, f"(taps {t('lobbies.join')}: the last seat, so the lobby starts)")
    await send(group.taps(cat, _tap("join", lobby), message_id, bob))
    # Pot 10, cut 5% = 0.5 rounded up to 1, prize 9 to Bob.
    assert [await wallet(p) for p in (bob_id, cat_id)] == [90 - 5 + 9, 95]

    _write(TRANSCRIPTS / f"bot-lobbies-{language}.txt", log.text())


async def test_bad_lobby_commands_get_the_usage(send, telegram, member) -> None:
    t = Translator("en")
    group = Group()
    ann, _ = await member("en", "Ann")
    telegram.calls.clear()
    for command in (
        "/lobby",
        "/lobby ten",
        "/lobby 10 🎰",
        "/lobby 10 1",
        "/lobby 10 11",
        "/lobby 10 🎲 4 x",
        "/lobby 0",
    ):
        await send(group.says(ann, command))
        assert telegram.of(SendMessage)[-1].text == t("lobbies.usage"), command


async def test_a_refusal_of_the_opener_is_told_to_them_alone(
    send,
    telegram,
    member,
    wallet,
) -> None:
    t = Translator("en")
    group = Group()
    ann, ann_id = await member("en", "Ann", cash=3)
    cat, _ = await member("en", "Cat", started=False)
    telegram.calls.clear()
    await send(group.says(ann, "/lobby 10"))
    private, public = telegram.of(SendMessage)[-2:]
    assert private.chat_id == ann.user.id
    assert private.text == t("refusals.insufficient_funds_plain")
    assert public.text == t("lobbies.refused_privately", name=f"@{ann.user.username}")
    assert await wallet(ann_id) == 3
    await send(group.says(cat, "/lobby 10"))
    assert "https://t.me/croupier_test_bot?start=duel" in telegram.of(SendMessage)[-1].text


async def test_a_die_telegram_refuses_leaves_the_lobby_to_the_job_which_refunds(
    send, telegram, member, wallet, uow_factory, ids, house
) -> None:
    """Telegram answers the first die and refuses the second (an outage; a restart between
    the dice leaves the lobby the same way): the group reads that the dice could not all be
    thrown, and the expiry job, once the roll window is over, returns every stake."""
    t = Translator("en")
    group = Group()
    ann, ann_id = await member("en", "Ann")
    bob, bob_id = await member("en", "Bob")
    answer = telegram._answer
    thrown: list[int] = []

    def refusing(method: Any) -> Any:
        if isinstance(method, SendDice):
            if thrown:
                raise TelegramNetworkError(method=method, message="the network went away")
            thrown.append(1)
        return answer(method)

    telegram._answer = refusing
    await send(group.says(ann, "/lobby 10 🎳 2"))
    lobby, message_id = _lobby(telegram)
    _roll(telegram, 4)
    await send(group.taps(bob, _tap("join", lobby), message_id, ann))  # fills it: under way
    assert len(thrown) == 1
    result = telegram.of(SendMessage)[-1].text
    assert result.splitlines() == [
        t("lobbies.round", round=1, rolls=f"@{ann.user.username} 4 · @{bob.user.username} –"),
        t("lobbies.unfinished"),
    ]
    assert (await wallet(ann_id), await wallet(bob_id)) == (90, 90)

    async with uow_factory() as uow:
        stored = await uow.lobbies.find(uuid.UUID(hex=lobby))
    assert stored is not None
    assert stored.seat_to_roll == 2  # where a restarted bot would go on from
    late = FakeClock(datetime.now(UTC) + RULES_ROLL_WINDOW + timedelta(seconds=1))
    ended = await ExpireLobbies(uow_factory, late, ids, house)()
    assert [lob.state for lob in ended if lob.id == stored.id] == [LobbyState.REFUNDED]
    assert (await wallet(ann_id), await wallet(bob_id)) == (100, 100)
