"""The bot in group chats: it stays only where an admin added it, and there it answers the
duel and lobby commands alone (docs/duels.md).

Everything else stays private (entrypoints/bot/middlewares.py, `PlayerContext`): a balance, a
bet or a limit is never shown to a group. `is_group_duel` is the one exception the
middleware lets through, and only to the duel and lobby handlers
(entrypoints/bot/handlers/duels.py, duel_lobbies.py), which register nobody: a player must
have started the bot in a private chat to duel.

When the bot is added to a group (a `my_chat_member` update), the member who added it must be
the group's creator or one of its admins (`getChatMember`); otherwise the bot says so and
leaves. So a group the bot is in is one an admin chose."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject

from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.bot.routing import Handlers

log = logging.getLogger(__name__)
handlers = Handlers("groups")

DUEL_COMMAND = "duel"
LOBBY_COMMAND = "lobby"
DUEL_TAP_PREFIX = "duel:"
LOBBY_TAP_PREFIX = "lobby:"
_GROUP_COMMANDS = frozenset({DUEL_COMMAND, LOBBY_COMMAND})
_GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_PRESENT = frozenset({ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR})
_ADMINS = frozenset({ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR})


def is_group_duel(event: TelegramObject) -> bool:
    """A `/duel` or `/lobby` command (or `/duel@bot`), or a tap on a duel's or a lobby's
    button: what groups may ask."""
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith((DUEL_TAP_PREFIX, LOBBY_TAP_PREFIX))
    if isinstance(event, Message):
        text = event.text or ""
        words = text[1:].split(maxsplit=1) if text.startswith("/") else []
        return bool(words) and words[0].split("@", 1)[0] in _GROUP_COMMANDS
    return False


@handlers.my_chat_member()
async def added_to_group(update: ChatMemberUpdated, bot: Bot) -> None:
    """Stay where an admin added the bot; leave where anyone else did."""
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
    except TelegramAPIError:
        log.warning("could not check who added the bot to chat %s", update.chat.id)
        by_admin = False
    if by_admin:
        await bot.send_message(update.chat.id, t("duels.group.welcome"))
        return
    await bot.send_message(update.chat.id, t("duels.group.admins_only"))
    await bot.leave_chat(update.chat.id)
