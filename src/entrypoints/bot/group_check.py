"""What Telegram says about a group the bot serves (docs/duels.md, "The groups"): its owner
(the chat's `creator` among `getChatAdministrators`) and whether the bot is one of its admins.

A group the bot joined before groups were recorded was never checked: on its first `/duel` or
`/lobby` (`duel_group`, called by both handlers) the bot asks now, records what it found, and
refuses duels and lobbies politely when Telegram cannot tell (the bot is no longer a member,
the call fails, no creator is listed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat

from application.duels import FindDuelGroup, RecordDuelGroup
from domain.duel_groups import DuelGroup

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupAdmins:
    owner_telegram_id: int | None
    bot_is_admin: bool


async def group_admins(bot: Bot, chat_id: int) -> GroupAdmins | None:
    """The group's creator and whether the bot is an admin; None when Telegram cannot say
    (the bot can ask only where it is a member)."""
    try:
        admins = await bot.get_chat_administrators(chat_id)
    except TelegramAPIError:
        log.warning("could not read the admins of chat %s", chat_id)
        return None
    owner = next((m.user.id for m in admins if m.status == ChatMemberStatus.CREATOR), None)
    return GroupAdmins(owner, any(m.user.id == bot.id for m in admins))


def title_of(chat: Chat) -> str:
    return chat.title or ""


async def duel_group(
    bot: Bot, chat: Chat, find: FindDuelGroup, record: RecordDuelGroup
) -> DuelGroup | None:
    """The group's record, checking it first when it has none or its owner is not known yet;
    None when the group could not be verified (no duels there then)."""
    group = await find(chat.id)
    if group is not None and group.owner_telegram_id is not None:
        return group
    found = await group_admins(bot, chat.id)
    if found is None or found.owner_telegram_id is None:
        return None
    if group is not None:
        added_by_admin = group.added_by_admin
    else:
        # Who added the bot is not known any more; an admin must have made it an admin.
        added_by_admin = True if found.bot_is_admin else None
    return await record(chat.id, title_of(chat), found.owner_telegram_id, added_by_admin)


async def serves_duels(bot: Bot, chat: Chat, find: FindDuelGroup, record: RecordDuelGroup) -> bool:
    """Whether `/duel` and `/lobby` may play in this group (both handlers ask this first):
    verified (`duel_group`, checking it now when needed) and `DuelGroup.serves_duels`."""
    group = await duel_group(bot, chat, find, record)
    return group is not None and group.serves_duels
