"""Duels in a group chat, through the real dispatcher with a mocked Bot API: the bot stays
where an admin added it, `/duel` as a reply or with @username, Accept and Decline only for the
challenged player, the bot's own dice (a tie rolls again), the result with pot, cut and
winner, the link for a player who never started the bot, and nothing else answered in groups.
The conversation is written to .croupier/test/transcripts/bot-duels-<language>.txt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    LeaveChat,
    SendDice,
    SendMessage,
)
from aiogram.types import User
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.money import XTR, Money
from entrypoints.bot.handlers.duels_keyboards import DuelTap
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate
from tests.entrypoints.duel_group import Group, GroupTelegram
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")


@pytest.fixture
def telegram():
    """The private chats' fake Bot API, answering a group's questions too."""
    return GroupTelegram()


@pytest.fixture
def member(send, telegram, credit, engine, unique_key):
    async def make(language: str, name: str, *, cash: int = 100, started: bool = True):
        player = Player(language)
        player.user = User(
            id=player.user.id,
            is_bot=False,
            first_name=name,
            username=f"{name.lower()}_{player.user.id % 100000}",
            language_code=language,
        )
        if not started:
            return player, None
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        async with engine.connect() as conn:
            player_id = (
                await conn.execute(
                    text("SELECT id FROM players WHERE telegram_user_id = :t"),
                    {"t": player.user.id},
                )
            ).scalar_one()
        await credit(CreditDepositCommand(player_id, Money(cash, XTR), unique_key("duel")))
        return player, player_id

    return make


@pytest.fixture
def wallet(engine):
    async def read(player_id: int) -> int:
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    text(
                        "SELECT balance FROM accounts WHERE player_id = :p"
                        " AND kind = 'player_wallet' AND currency = 'XTR'"
                    ),
                    {"p": player_id},
                )
            ).scalar_one()

    return read


class Transcript:
    """What a person in the group reads, in order."""

    def __init__(self, telegram: GroupTelegram) -> None:
        self.telegram = telegram
        self.lines: list[str] = []
        self._seen = 0

    def person(self, who: Player, what: str) -> None:
        self._flush()
        self.lines.append(f"> {who.user.first_name}: {what}")

    def _flush(self) -> None:
        for call in self.telegram.calls[self._seen :]:
            self.lines.extend(self._shown(call))
        self._seen = len(self.telegram.calls)

    def _shown(self, call: Any) -> list[str]:
        if isinstance(call, SendDice):
            value = self.telegram.dice_log.pop(0)
            return [f"< [{call.emoji} shows {value}]"]
        if isinstance(call, SendMessage | EditMessageText):
            prefix = "< (edited) " if isinstance(call, EditMessageText) else "< "
            shown = [prefix + line for line in call.text.splitlines()]
            markup = call.reply_markup
            for row in getattr(markup, "inline_keyboard", None) or []:
                shown.append("  " + " ".join(f"[{b.text}]" for b in row))
            return shown
        if isinstance(call, AnswerCallbackQuery) and call.text:
            return [f"< (alert to the tapper) {call.text}"]
        if isinstance(call, LeaveChat):
            return ["< (the bot leaves the group)"]
        return []

    def text(self) -> str:
        self._flush()
        return "\n".join(self.lines) + "\n"


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def _roll(telegram: GroupTelegram, *values: int) -> None:
    telegram.dice_values.extend(values)
    telegram.dice_log.extend(values)


def _challenge_id(telegram: GroupTelegram) -> tuple[str, int]:
    """The duel's id and the message id of the newest challenge shown."""
    for call in reversed(telegram.of(SendMessage)):
        markup = call.reply_markup
        if markup is not None:
            data = DuelTap.unpack(markup.inline_keyboard[0][0].callback_data)
            return data.duel, telegram.message_id(call)
    raise AssertionError("no challenge was shown")


@pytest.mark.parametrize("language", ["en", "ru", "es", "pt", "tr"])
async def test_a_duel_in_a_group_from_start_to_result(
    send, telegram, member, wallet, language
) -> None:
    t = Translator(language)
    group = Group()
    ann, ann_id = await member(language, "Ann")
    bob, bob_id = await member(language, "Bob")
    telegram.calls.clear()
    telegram.admins.add(ann.user.id)
    log = Transcript(telegram)

    log.person(ann, "(adds the bot to the group; Ann is an admin)")
    await send(group.adds_bot(ann))
    assert telegram.of(SendMessage)[-1].text == t("duels.group.welcome")

    log.person(ann, "/duel 10 🎯  (a reply to Bob's message)")
    await send(group.says(ann, "/duel 10 🎯", reply_to=bob))
    shown = telegram.of(SendMessage)[-1]
    assert [n in shown.text for n in ("10 ⭐", "20 ⭐", "19 ⭐")] == [True] * 3
    assert await wallet(ann_id) == 90
    duel, message_id = _challenge_id(telegram)

    log.person(ann, f"(taps {t('duels.accept')} on her own challenge)")
    await send(group.taps(ann, DuelTap(action="accept", duel=duel).pack(), message_id, ann))
    assert telegram.of(AnswerCallbackQuery)[-1].text == t("duels.not_for_you")

    _roll(telegram, 4, 4, 6, 2)  # a tie, then Ann wins
    log.person(bob, f"(taps {t('duels.accept')})")
    await send(group.taps(bob, DuelTap(action="accept", duel=duel).pack(), message_id, ann))
    assert [c.emoji for c in telegram.of(SendDice)] == ["🎯"] * 4
    result = telegram.of(SendMessage)[-1].text
    assert [n in result for n in ("19 ⭐", "1 ⭐", ann.user.username)] == [True] * 3
    assert (await wallet(ann_id), await wallet(bob_id)) == (109, 90)

    log.person(bob, f"(taps {t('duels.accept')} again)")
    await send(group.taps(bob, DuelTap(action="accept", duel=duel).pack(), message_id, ann))
    assert telegram.of(AnswerCallbackQuery)[-1].text == t("duels.gone")
    assert len(telegram.of(SendDice)) == 4

    log.person(bob, f"/duel @{ann.user.username} 5")
    await send(group.says(bob, f"/duel @{ann.user.username} 5"))
    duel, message_id = _challenge_id(telegram)
    log.person(ann, f"(taps {t('duels.decline')})")
    await send(group.taps(ann, DuelTap(action="decline", duel=duel).pack(), message_id, bob))
    assert (await wallet(ann_id), await wallet(bob_id)) == (109, 90)

    log.person(bob, "/limits  (not a duel command)")
    await send(group.says(bob, "/limits"))
    assert telegram.of(SendMessage)[-1].text == t("errors.private_only")

    _write(TRANSCRIPTS / f"bot-duels-{language}.txt", log.text())


async def test_a_player_who_never_started_the_bot_gets_the_link(send, telegram, member) -> None:
    group = Group()
    ann, _ = await member("en", "Ann")
    cat, _ = await member("en", "Cat", started=False)
    telegram.calls.clear()
    await send(group.says(ann, "/duel 10", reply_to=cat))
    answer = telegram.of(SendMessage)[-1].text
    assert "https://t.me/croupier_test_bot?start=duel" in answer
    assert cat.user.username in answer
    await send(group.says(cat, "/duel 10", reply_to=ann))
    assert "https://t.me/croupier_test_bot?start=duel" in telegram.of(SendMessage)[-1].text


async def test_a_refusal_of_the_challenger_is_told_to_them_alone(
    send, telegram, member, wallet
) -> None:
    t = Translator("en")
    group = Group()
    ann, ann_id = await member("en", "Ann", cash=3)
    bob, _ = await member("en", "Bob")
    telegram.calls.clear()
    await send(group.says(ann, "/duel 10", reply_to=bob))
    private, public = telegram.of(SendMessage)[-2:]
    assert private.chat_id == ann.user.id
    assert private.text == t("refusals.insufficient_funds_plain")
    assert public.chat_id == group.chat.id
    assert public.text == t("duels.refused_privately", name=f"@{ann.user.username}")
    assert await wallet(ann_id) == 3


async def test_bad_commands_get_the_usage(send, telegram, member) -> None:
    t = Translator("en")
    group = Group()
    ann, _ = await member("en", "Ann")
    bob, _ = await member("en", "Bob")
    telegram.calls.clear()
    for command in ("/duel", "/duel ten", "/duel 10 🎰", "/duel 0", "/duel 10 🎲 extra"):
        await send(group.says(ann, command, reply_to=bob))
        assert telegram.of(SendMessage)[-1].text == t("duels.usage"), command
    await send(group.says(ann, "/duel 10", reply_to=ann))
    assert telegram.of(SendMessage)[-1].text == t("duels.self")


async def test_the_bot_leaves_a_group_a_non_admin_added_it_to(send, telegram, member) -> None:
    t = Translator("en")
    group = Group()
    ann, _ = await member("en", "Ann")
    telegram.calls.clear()
    await send(group.adds_bot(ann))
    assert telegram.of(SendMessage)[-1].text == t("duels.group.admins_only")
    assert [c.chat_id for c in telegram.of(LeaveChat)] == [group.chat.id]


async def test_an_unexpected_error_in_a_group_registers_nobody(
    send, telegram, member, engine, monkeypatch
) -> None:
    """The error handler answers in the player's Telegram language there: reading their own
    would register whoever wrote in the group (groups never register anybody)."""
    group = Group()
    ann, _ = await member("en", "Ann")
    cat, _ = await member("ru", "Cat", started=False)

    def broken(*_: object) -> None:
        raise RuntimeError("a bug in the duel command")

    monkeypatch.setattr("entrypoints.bot.handlers.duels._target", broken)
    telegram.calls.clear()
    await send(group.says(cat, "/duel 10", reply_to=ann))
    assert telegram.of(SendMessage)[-1].text == Translator("ru")("errors.generic")
    async with engine.connect() as conn:
        registered = (
            await conn.execute(
                text("SELECT count(*) FROM players WHERE telegram_user_id = :t"),
                {"t": cat.user.id},
            )
        ).scalar_one()
    assert registered == 0
