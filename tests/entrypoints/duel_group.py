"""A group chat for the duel tests: members who write and tap there, the bot's arrival, and a
Bot API that also answers `getChatMember` and `leaveChat` (tests/entrypoints/telegram_fakes.py
answers what private chats need)."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

from aiogram.methods import GetChatMember, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
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


class GroupTelegram(FakeTelegram):
    """Answers `getChatMember` with the status given to each user (a plain member unless
    told), and every other call as the private chats' fake does."""

    def __init__(self) -> None:
        super().__init__()
        self.admins: set[int] = set()
        self.dice_log: list[int] = []  # the values handed out, for a transcript to show

    def _answer(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetChatMember):
            user = User(id=method.user_id, is_bot=False, first_name="Member")
            if method.user_id in self.admins:  # the group's creator: an admin of it
                return ChatMemberOwner(user=user, is_anonymous=False)
            return ChatMemberMember(user=user)
        return super()._answer(method)


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
