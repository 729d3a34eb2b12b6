"""The bot in group chats: it stays only where an admin added it, and there it answers the
duel and lobby commands alone (docs/duels.md).

Everything else stays private (entrypoints/bot/middlewares.py, `PlayerContext`): a balance, a
bet or a limit is never shown to a group. `is_group_duel` is the one exception the
middleware lets through, and only to the duel and lobby handlers
(entrypoints/bot/handlers/duels.py, duel_lobbies.py), which register nobody: a player must
have started the bot in a private chat to duel.

When the bot is added to a group (a `my_chat_member` update), the member who added it must be
the group's creator or one of its admins (`getChatMember`); otherwise the bot says so and
leaves. So a group the bot is in is one an admin chose. Either way the group is recorded
(`RecordDuelGroup`) with its owner, the chat's creator (entrypoints/bot/group_check.py).

`/groupstats` in a group shows its settled duels and lobbies (how many, what was staked, the
house cut: every result said them in the group already); the owner's share goes to the
group's owner alone, in a private message (docs/duels.md, "The group owner's share")."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject
from dishka.integrations.aiogram import FromDishka, inject

from application.duels import GroupDuelReport, RecordDuelGroup, ReportGroupDuels
from domain.money import XTR, Money
from entrypoints.bot.group_check import group_admins, title_of
from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.bot.routing import Handlers

log = logging.getLogger(__name__)
handlers = Handlers("groups")

DUEL_COMMAND = "duel"
LOBBY_COMMAND = "lobby"
STATS_COMMAND = "groupstats"
DUEL_TAP_PREFIX = "duel:"
LOBBY_TAP_PREFIX = "lobby:"
_GROUP_COMMANDS = frozenset({DUEL_COMMAND, LOBBY_COMMAND, STATS_COMMAND})
_GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_PRESENT = frozenset({ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR})
_ADMINS = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})


def is_group_duel(event: TelegramObject) -> bool:
    """A `/duel`, `/lobby` or `/groupstats` command (or `/duel@bot`), or a tap on a duel's or
    a lobby's button: what groups may ask."""
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith((DUEL_TAP_PREFIX, LOBBY_TAP_PREFIX))
    if isinstance(event, Message):
        text = event.text or ""
        words = text[1:].split(maxsplit=1) if text.startswith("/") else []
        return bool(words) and words[0].split("@", 1)[0] in _GROUP_COMMANDS
    return False


@handlers.my_chat_member()
@inject
async def added_to_group(
    update: ChatMemberUpdated, bot: Bot, record: FromDishka[RecordDuelGroup]
) -> None:
    """Stay where an admin added the bot; leave where anyone else did. Record the group."""
    if update.chat.type not in _GROUPS:
        return
    was = update.old_chat_member.status
    now = update.new_chat_member.status
    if now not in _PRESENT or was in _PRESENT:
        return  # removed, or a change of the bot's rights in a group it was already in
    t = Translator(pick_language(update.from_user.language_code))
    try:
        adder = await bot.get_chat_member(update.chat.id, update.from_user.id)
        by_admin = adder.status in _ADMINS
        creator = adder.status == ChatMemberStatus.CREATOR
    except TelegramAPIError:
        log.warning("could not check who added the bot to chat %s", update.chat.id)
        by_admin = creator = False
    if by_admin:
        if creator:
            owner: int | None = update.from_user.id
        else:
            admins = await group_admins(bot, update.chat.id)
            owner = None if admins is None else admins.owner_telegram_id
        await record(update.chat.id, title_of(update.chat), owner, True)
        await bot.send_message(update.chat.id, t("duels.group.welcome"))
        return
    await record(update.chat.id, title_of(update.chat), None, False)
    await bot.send_message(update.chat.id, t("duels.group.admins_only"))
    await bot.leave_chat(update.chat.id)


@handlers.message(F.chat.type.in_(_GROUPS), Command(STATS_COMMAND))
@inject
async def group_stats(message: Message, bot: Bot, report: FromDishka[ReportGroupDuels]) -> None:
    asker = message.from_user
    if asker is None:
        return
    t = Translator(pick_language(asker.language_code))
    found = await report(message.chat.id, asker.id)
    lines = [
        t("groups.stats.line", settled=s.settled, lobbies=s.lobbies, staked=s.staked, cut=s.cut)
        for s in found.stats
    ] or [t("groups.stats.none")]
    if found.for_owner:
        lines.append(await _tell_owner(bot, t, message, found))
    await message.reply("\n".join(lines))


async def _tell_owner(bot: Bot, t: Translator, message: Message, found: GroupDuelReport) -> str:
    """The owner's share, to the owner alone; the line the group reads about it."""
    asker = message.from_user
    if asker is None:  # pragma: no cover - the handler answers people only
        return ""
    name = f"@{asker.username}" if asker.username else asker.first_name
    title = message.chat.title or ""
    if found.owner_share_bps == 0 and all(s.owner_share.is_zero() for s in found.stats):
        private = t("groups.stats.owner_off", title=title)
    else:
        shares = [s.owner_share for s in found.stats] or [Money(0, XTR)]
        private = "\n".join(
            t(
                "groups.stats.owner_private",
                title=title,
                share=share,
                percent=_percent(found.owner_share_bps),
            )
            for share in shares
        )
    try:
        await bot.send_message(asker.id, private)
    except TelegramAPIError:
        me = await bot.me()
        return t("groups.stats.owner_start", name=name, link=f"https://t.me/{me.username}")
    return t("groups.stats.owner_sent", name=name)


def _percent(bps: int) -> str:
    """Basis points as a percentage: 2000 is "20%", 1250 "12.5%"."""
    whole, part = divmod(bps, 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") + "%"
