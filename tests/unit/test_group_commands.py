"""What a group may ask of the bot (entrypoints/bot/groups.py): `/duel` and `/lobby` (also
addressed `@bot`), and taps on a duel's or a lobby's buttons; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.types import CallbackQuery, Chat, Message, User

from entrypoints.bot.groups import is_group_duel

_CHAT = Chat(id=-100, type="supergroup", title="Dice night")
_ANN = User(id=1, is_bot=False, first_name="Ann")


def _said(text: str) -> Message:
    return Message(message_id=1, date=datetime.now(UTC), chat=_CHAT, from_user=_ANN, text=text)


def _tapped(data: str) -> CallbackQuery:
    return CallbackQuery(id="1", from_user=_ANN, chat_instance="group", data=data)


@pytest.mark.parametrize(
    ("event", "passes"),
    [
        (_said("/duel @bob 10"), True),
        (_said("/duel@croupier_test_bot 10"), True),
        (_said("/lobby 10 🎯 4"), True),
        (_said("/lobby@croupier_test_bot 10"), True),
        (_said("/lobbyist 10"), False),
        (_said("/limits"), False),
        (_said("lobby 10"), False),
        (_tapped("duel:accept:ab"), True),
        (_tapped("lobby:join:ab"), True),
        (_tapped("menu:main"), False),
    ],
)
def test_only_the_duel_and_lobby_commands_and_taps_pass(event: object, passes: bool) -> None:
    assert is_group_duel(event) is passes  # type: ignore[arg-type]
