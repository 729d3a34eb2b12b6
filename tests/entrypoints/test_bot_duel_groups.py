"""The groups duels are played in, through the real dispatcher with a mocked Bot API: a group
an admin adds the bot to is recorded with its owner (the creator); a group the bot was in
before groups were recorded is verified on its first /duel or /lobby (getChatAdministrators),
and one that cannot be verified gets a polite refusal and no duel or lobby; /groupstats shows
the group's settled duels and lobbies to everyone and the owner's share (of both) to the
owner alone, privately. The share
here is CROUPIER_DUEL_OWNER_SHARE_BPS=5000 (half the cut). The conversation is written to
.croupier/test/transcripts/bot-duel-groups-<language>.txt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import GetChatAdministrators, SendMessage
from aiogram.types import User
from dishka import Provider, Scope, provide
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.duels import DuelRules
from domain.money import XTR, Money
from entrypoints.bot.handlers.duels_keyboards import DuelTap
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate
from tests.entrypoints.conftest import bot_runtime
from tests.entrypoints.duel_group import Group, GroupTelegram
from tests.entrypoints.telegram_fakes import Player
from tests.entrypoints.test_bot_duel_lobbies import _lobby
from tests.entrypoints.test_bot_duel_lobbies import _tap as _lobby_tap
from tests.entrypoints.test_bot_duels import Transcript, _roll

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")


class _HalfToTheOwner(Provider):
    @provide(scope=Scope.APP, override=True)
    def duel_rules(self) -> DuelRules:
        return DuelRules(owner_share_bps=5000)


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    container, runtime = await bot_runtime(
        servers, tmp_path_factory.mktemp("bot-duel-groups"), _HalfToTheOwner()
    )
    yield runtime
    await container.close()


@pytest.fixture
def telegram():
    return GroupTelegram()


@pytest.fixture
def member(send, credit, engine, unique_key):
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
        if cash:
            await credit(CreditDepositCommand(player_id, Money(cash, XTR), unique_key("duel")))
        return player, player_id

    return make


async def _record(engine, chat_id: int) -> Any:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT title, owner_telegram_id, added_by_admin FROM duel_groups"
                    " WHERE chat_id = :c"
                ),
                {"c": chat_id},
            )
        ).first()


async def _wallet(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT coalesce(sum(balance), 0) FROM accounts WHERE player_id = :p"
                    " AND kind = 'player_wallet' AND currency = 'XTR'"
                ),
                {"p": player_id},
            )
        ).scalar_one()


class GroupTranscript(Transcript):
    """The group's transcript, with what the bot sends a member privately marked so."""

    def __init__(self, telegram: GroupTelegram, group: Group, names: dict[int, str]) -> None:
        super().__init__(telegram)
        self.group = group
        self.names = names

    def _shown(self, call: Any) -> list[str]:
        shown = super()._shown(call)
        if isinstance(call, SendMessage) and call.chat_id != self.group.chat.id:
            who = self.names.get(int(call.chat_id), str(call.chat_id))
            if call.chat_id in self.telegram.unreachable:
                return [f"< (a private message to {who} is not delivered: Telegram refuses it)"]
            shown = [f"< (privately to {who}) " + line.removeprefix("< ") for line in shown]
        return shown


def _challenge(telegram: GroupTelegram) -> tuple[str, int]:
    for call in reversed(telegram.of(SendMessage)):
        if call.reply_markup is not None:
            data = DuelTap.unpack(call.reply_markup.inline_keyboard[0][0].callback_data)
            return data.duel, telegram.message_id(call)
    raise AssertionError("no challenge was shown")


@pytest.mark.parametrize("language", ["en", "ru", "es", "pt", "tr"])
async def test_groupstats_shows_the_duels_and_the_owner_sees_their_share_privately(
    send, telegram, member, engine, language
) -> None:
    t = Translator(language)
    group = Group("Dice night")
    olga, olga_id = await member(language, "Olga", cash=0)
    ann, ann_id = await member(language, "Ann")
    bob, _ = await member(language, "Bob")
    cat, cat_id = await member(language, "Cat")
    telegram.calls.clear()
    telegram.admins.add(olga.user.id)
    names = {olga.user.id: "Olga", ann.user.id: "Ann", bob.user.id: "Bob", cat.user.id: "Cat"}
    log = GroupTranscript(telegram, group, names)

    log.person(olga, "(adds the bot to the group; Olga created it)")
    await send(group.adds_bot(olga))
    recorded = await _record(engine, group.chat.id)
    assert tuple(recorded) == ("Dice night", olga.user.id, True)

    log.person(bob, "/groupstats")
    await send(group.says(bob, "/groupstats"))
    assert telegram.of(SendMessage)[-1].text == t("groups.stats.none")

    log.person(ann, "/duel 30  (a reply to Bob's message)")
    await send(group.says(ann, "/duel 30", reply_to=bob))
    duel, message_id = _challenge(telegram)
    telegram.dice_values.extend((6, 2))
    telegram.dice_log.extend((6, 2))
    log.person(bob, f"(taps {t('duels.accept')})")
    await send(group.taps(bob, DuelTap(action="accept", duel=duel).pack(), message_id, ann))
    # Pot 60 ⭐, cut 3 ⭐: half of it, rounded down, to Olga (1 ⭐), the house keeps 2 ⭐.
    assert await _wallet(engine, ann_id) == 70 + 57
    assert await _wallet(engine, olga_id) == 1

    log.person(bob, "/groupstats")
    await send(group.says(bob, "/groupstats"))
    public = t("groups.stats.line", settled=1, lobbies=0, staked=Money(60, XTR), cut=Money(3, XTR))
    assert telegram.of(SendMessage)[-1].text == public
    assert all(c.chat_id == group.chat.id for c in telegram.of(SendMessage)[-1:])

    # A lobby pays the owner the same share: 3 seats of 40 ⭐, pot 120 ⭐, cut 6 ⭐, half of it
    # (3 ⭐) to Olga, the house keeps 3 ⭐, Cat wins 114 ⭐.
    log.person(ann, "/lobby 40 🎲 3")
    await send(group.says(ann, "/lobby 40 🎲 3"))
    lobby, lobby_message = _lobby(telegram)
    log.person(bob, f"(taps {t('lobbies.join')})")
    await send(group.taps(bob, _lobby_tap("join", lobby), lobby_message, ann))
    _roll(telegram, 2, 3, 6)
    log.person(cat, f"(taps {t('lobbies.join')}: the last seat, so the lobby starts)")
    await send(group.taps(cat, _lobby_tap("join", lobby), lobby_message, ann))
    assert await _wallet(engine, cat_id) == 60 + 114
    assert await _wallet(engine, olga_id) == 1 + 3

    log.person(bob, "/groupstats")
    await send(group.says(bob, "/groupstats"))
    public = t("groups.stats.line", settled=1, lobbies=1, staked=Money(180, XTR), cut=Money(9, XTR))
    assert telegram.of(SendMessage)[-1].text == public

    log.person(olga, "/groupstats")
    await send(group.says(olga, "/groupstats"))
    private, shown = telegram.of(SendMessage)[-2:]
    assert private.chat_id == olga.user.id
    assert private.text == t(
        "groups.stats.owner_private", title="Dice night", share=Money(4, XTR), percent="50%"
    )
    assert shown.chat_id == group.chat.id
    assert shown.text == "\n".join(
        [public, t("groups.stats.owner_sent", name=f"@{olga.user.username}")]
    )
    assert "4 ⭐" not in shown.text.replace(public, "")  # the share is never told to the group

    log.person(olga, "/groupstats  (she has blocked the bot in private)")
    telegram.unreachable.add(olga.user.id)
    await send(group.says(olga, "/groupstats"))
    assert "https://t.me/croupier_test_bot" in telegram.of(SendMessage)[-1].text

    path = TRANSCRIPTS / f"bot-duel-groups-{language}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(log.text())


async def test_an_old_group_is_verified_on_its_first_duel(send, telegram, member, engine) -> None:
    group = Group("Old friends")
    ann, _ = await member("en", "Ann")
    bob, _ = await member("en", "Bob")
    owner, _ = await member("en", "Olga", started=False)
    telegram.owner = owner.user.id
    telegram.bot_is_admin = True
    telegram.calls.clear()
    assert await _record(engine, group.chat.id) is None  # the bot was there before records
    await send(group.says(ann, "/duel 10", reply_to=bob))
    assert len(telegram.of(GetChatAdministrators)) == 1
    # The bot is an admin there, so an admin chose it; the owner is the chat's creator.
    assert tuple(await _record(engine, group.chat.id)) == ("Old friends", owner.user.id, True)
    assert telegram.of(SendMessage)[-1].reply_markup is not None  # the challenge was made
    await send(group.says(bob, "/duel 10", reply_to=ann))
    assert len(telegram.of(GetChatAdministrators)) == 1  # checked once


async def test_an_old_group_where_the_bot_is_no_admin_is_recorded_as_not_known(
    send, telegram, member, engine
) -> None:
    group = Group()
    ann, _ = await member("en", "Ann")
    bob, _ = await member("en", "Bob")
    await send(group.says(ann, "/duel 10", reply_to=bob))
    recorded = await _record(engine, group.chat.id)
    assert (recorded.owner_telegram_id, recorded.added_by_admin) == (777_000_001, None)
    assert telegram.of(SendMessage)[-1].reply_markup is not None


async def test_a_group_that_cannot_be_verified_gets_no_duel(send, telegram, member, engine) -> None:
    t = Translator("ru")
    group = Group()
    ann, ann_id = await member("ru", "Ann")
    bob, _ = await member("ru", "Bob")
    telegram.admins_unreadable = True
    telegram.calls.clear()
    await send(group.says(ann, "/duel 10", reply_to=bob))
    assert telegram.of(SendMessage)[-1].text == t("groups.unverified")
    assert await _record(engine, group.chat.id) is None  # asked again next time
    assert await _wallet(engine, ann_id) == 100
    async with engine.connect() as conn:
        duels = (
            await conn.execute(
                text("SELECT count(*) FROM duels WHERE chat_id = :c"), {"c": group.chat.id}
            )
        ).scalar_one()
    assert duels == 0


async def test_a_group_a_non_admin_added_the_bot_to_is_recorded_so(
    send, telegram, member, engine
) -> None:
    group = Group()
    ann, _ = await member("en", "Ann")
    await send(group.adds_bot(ann))
    recorded = await _record(engine, group.chat.id)
    assert (recorded.owner_telegram_id, recorded.added_by_admin) == (None, False)


async def test_an_admin_who_is_not_the_creator_adds_the_bot_and_the_creator_is_the_owner(
    send, telegram, member, engine
) -> None:
    group = Group()
    mia, _ = await member("en", "Mia")
    olga, _ = await member("en", "Olga", started=False)
    telegram.moderators.add(mia.user.id)
    telegram.owner = olga.user.id
    await send(group.adds_bot(mia))
    assert telegram.of(SendMessage)[-1].text == Translator("en")("duels.group.welcome")
    recorded = await _record(engine, group.chat.id)
    assert (recorded.owner_telegram_id, recorded.added_by_admin) == (olga.user.id, True)


async def test_an_old_group_is_verified_on_its_first_lobby(send, telegram, member, engine) -> None:
    group = Group("Old friends")
    ann, ann_id = await member("en", "Ann")
    owner, _ = await member("en", "Olga", started=False)
    telegram.owner = owner.user.id
    telegram.bot_is_admin = True
    telegram.calls.clear()
    assert await _record(engine, group.chat.id) is None  # the bot was there before records
    await send(group.says(ann, "/lobby 10 🎲 3"))
    assert len(telegram.of(GetChatAdministrators)) == 1
    assert tuple(await _record(engine, group.chat.id)) == ("Old friends", owner.user.id, True)
    assert telegram.of(SendMessage)[-1].reply_markup is not None  # the lobby was opened
    assert await _wallet(engine, ann_id) == 90
    await send(group.says(ann, "/lobby 10"))
    assert len(telegram.of(GetChatAdministrators)) == 1  # checked once


async def test_a_group_that_cannot_be_verified_gets_no_lobby(
    send, telegram, member, engine
) -> None:
    t = Translator("es")
    group = Group()
    ann, ann_id = await member("es", "Ann")
    telegram.admins_unreadable = True
    telegram.calls.clear()
    await send(group.says(ann, "/lobby 10 🎲 3"))
    assert telegram.of(SendMessage)[-1].text == t("groups.unverified")
    assert telegram.of(SendMessage)[-1].reply_markup is None
    assert await _record(engine, group.chat.id) is None  # asked again next time
    assert await _wallet(engine, ann_id) == 100
    async with engine.connect() as conn:
        lobbies = (
            await conn.execute(
                text("SELECT count(*) FROM duel_lobbies WHERE chat_id = :c"),
                {"c": group.chat.id},
            )
        ).scalar_one()
    assert lobbies == 0


async def test_a_group_a_non_admin_chose_gets_no_lobby(send, telegram, member, engine) -> None:
    """Recorded when a non-admin added the bot (it left): were it still there, no lobby."""
    group = Group()
    ann, ann_id = await member("en", "Ann")
    await send(group.adds_bot(ann))
    telegram.calls.clear()
    await send(group.says(ann, "/lobby 10"))
    assert telegram.of(SendMessage)[-1].text == Translator("en")("groups.unverified")
    assert await _wallet(engine, ann_id) == 100
