"""A group chat for the duel tests: members who write and tap there, the bot's arrival, and a
Bot API that also answers `getChatMember`, `getChatAdministrators` and `leaveChat`
(tests/entrypoints/telegram_fakes.py answers what private chats need)."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import GetChatAdministrators, GetChatMember, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberUpdated,
    Message,
    Update,
    User,
)

from tests.entrypoints.telegram_fakes import BOT_USER, FakeTelegram, Player

_updates = itertools.count(secrets.randbelow(2**40) + 2**41)


# The creator of a group whose owner no test named: not a player.
SOMEONE = 777_000_001


class GroupTelegram(FakeTelegram):
    """Answers `getChatMember` with the status given to each user (the creator for `admins`,
    an admin for `moderators`, else a plain member), `getChatAdministrators` with the group's
    creator (`owner`, else the first of `admins`, else SOMEONE) and the bot when
    `bot_is_admin`, or an error when `admins_unreadable` (the bot is no longer a member); a
    private message to a user in `unreachable` fails (they never started the bot). Every
    other call as the private chats' fake does."""

    def __init__(self) -> None:
        super().__init__()
        self.admins: set[int] = set()
        self.moderators: set[int] = set()  # admins who did not create the group
        self.owner: int | None = None
        self.bot_is_admin = False
        self.admins_unreadable = False
        self.unreachable: set[int] = set()
        self.dice_log: list[int] = []  # the values handed out, for a transcript to show

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetChatMember):
            user = User(id=method.user_id, is_bot=False, first_name="Member")
            if method.user_id in self.admins:  # the group's creator: an admin of it
                return ChatMemberOwner(user=user, is_anonymous=False)
            if method.user_id in self.moderators:
                return _admin(user)
            return ChatMemberMember(user=user)
        if isinstance(method, GetChatAdministrators):
            if self.admins_unreadable:
                raise TelegramBadRequest(method, "Bad Request: member list is inaccessible")
            creator = self.owner or min(self.admins, default=SOMEONE)
            found: list[Any] = [
                ChatMemberOwner(
                    user=User(id=creator, is_bot=False, first_name="Owner"), is_anonymous=False
                )
            ]
            if self.bot_is_admin:
                found.append(_admin(BOT_USER))
            return found
        if isinstance(method, SendMessage) and method.chat_id in self.unreachable:
            raise TelegramForbiddenError(method, "Forbidden: bot can't initiate conversation")
        return super()._answer(method)


def _admin(user: User) -> ChatMemberAdministrator:
    return ChatMemberAdministrator(
        user=user,
        can_be_edited=False,
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=False,
        can_restrict_members=False,
        can_promote_members=False,
        can_change_info=False,
        can_invite_users=True,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
        can_send_welcome_messages=False,
    )


class Group:
    def __init__(self, title: str = "Dice night") -> None:
        self.chat = Chat(id=-(10**12) - secrets.randbelow(10**9), type="supergroup", title=title)

    def says(self, member: Player, text: str, reply_to: Player | None = None) -> Update:
        replied = None
        if reply_to is not None:
            replied = Message(
                message_id=secrets.randbelow(2**30),
                date=datetime.now(UTC),
                chat=self.chat,
                from_user=reply_to.user,
                text="gg",
            )
        return Update(
            update_id=next(_updates),
            message=Message(
                message_id=secrets.randbelow(2**30),
                date=datetime.now(UTC),
                chat=self.chat,
                from_user=member.user,
                text=text,
                reply_to_message=replied,
            ),
        )

    def taps(self, member: Player, data: str, message_id: int, challenger: Player) -> Update:
        """A tap on the challenge, the bot's reply to the challenger's /duel."""
        command = Message(
            message_id=message_id - 1,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=challenger.user,
            text="/duel",
        )
        challenge = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=BOT_USER,
            text="duel",
            reply_to_message=command,
        )
        return Update(
            update_id=next(_updates),
            callback_query=CallbackQuery(
                id=secrets.token_hex(8),
                from_user=member.user,
                chat_instance="group",
                message=challenge,
                data=data,
            ),
        )

    def adds_bot(self, member: Player) -> Update:
        return Update(
            update_id=next(_updates),
            my_chat_member=ChatMemberUpdated(
                chat=self.chat,
                from_user=member.user,
                date=datetime.now(UTC),
                old_chat_member=ChatMemberLeft(user=BOT_USER),
                new_chat_member=ChatMemberMember(user=BOT_USER),
            ),
        )
