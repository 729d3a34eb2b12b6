"""The door x rule matrix's cases of a group-chat duel (issue 23), through the bot in a group:
the challenge (a stake: `Operation.BET`, the challenger's standing and limits), the accept
(the challenged player's stake: BET) and the decline (the challenger's stake back:
`Operation.SETTLE`, never refused). The other player, in good standing, is made by the case's
`prepare`; the subject's own refusal reaches them alone, in a private message or an alert.
A lobby's doors (opening, Join, Leave, Start) are at the end."""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from application.duels import (
    ChallengeDuel,
    ChallengeDuelCommand,
    JoinLobby,
    OpenLobby,
    OpenLobbyCommand,
    RecordDuelGroup,
)
from domain.duel_lobbies import Lobby
from domain.duels import Duel
from domain.money import XTR, Money
from entrypoints.bot.handlers.duel_lobbies_texts import LobbyTap
from entrypoints.bot.handlers.duels_keyboards import DuelTap
from tests.entrypoints.door_world import Answer, Cell, Subject, bot_answer
from tests.entrypoints.duel_group import Group


def _no_alert(calls: list[Any]) -> bool:
    return not any(isinstance(c, AnswerCallbackQuery) and c.show_alert for c in calls)


async def other_player(cell: Cell) -> Subject:
    """The subject's opponent: a player in good standing with funds."""
    return await cell.world.new_subject(accept_terms=True)


async def opponent_in_a_group(cell: Cell) -> tuple[Subject, Group]:
    """The subject's opponent, and a group the bot has checked (an admin added it; its owner
    is the opponent), so the challenge needs no question to Telegram about the group."""
    opponent = await other_player(cell)
    group = Group()
    await cell.world.use(RecordDuelGroup, group.chat.id, "Duels", opponent.user.user.id, True)
    return opponent, group


async def bot_duel_challenge(cell: Cell) -> Answer:
    opponent, group = cell.prepared
    update = group.says(cell.subject.user, "/duel 10", reply_to=opponent.user)

    def challenged(calls: list[Any]) -> bool:  # the challenge, with its buttons
        return any(isinstance(c, SendMessage) and c.reply_markup for c in calls)

    return await bot_answer(cell, update, challenged)


async def challenged_by_other(cell: Cell) -> tuple[Subject, Duel]:
    """A duel another player made against the subject, both in good standing."""
    opponent = await other_player(cell)
    command = ChallengeDuelCommand(
        uuid.uuid4(),
        -(10**12),
        opponent.user.user.id,
        Money(10, XTR),
        "🎲",
        challenged_telegram_id=cell.subject.user.user.id,
    )
    return opponent, await cell.world.use(ChallengeDuel, command)


async def bot_duel_accept(cell: Cell) -> Answer:
    opponent, duel = cell.prepared
    cell.telegram.dice_values.extend([6, 1])  # the bot's dice, if the duel is played
    tap = DuelTap(action="accept", duel=duel.id.hex).pack()
    update = Group().taps(cell.subject.user, tap, 2, opponent.user)
    return await bot_answer(cell, update, lambda calls: _no_alert(calls) and _edited(calls))


async def bot_duel_decline(cell: Cell) -> Answer:
    opponent, duel = cell.prepared
    tap = DuelTap(action="decline", duel=duel.id.hex).pack()
    update = Group().taps(cell.subject.user, tap, 2, opponent.user)
    return await bot_answer(cell, update, lambda calls: _no_alert(calls) and _edited(calls))


def _edited(calls: list[Any]) -> bool:
    return any(isinstance(c, EditMessageText) for c in calls)


# -- lobbies: opening stakes the opener's seat (BET), a join the joiner's (BET), the Start plays
# the stakes held (BET: every seated player's standing), a leave returns a stake (SETTLE).


async def bot_lobby_open(cell: Cell) -> Answer:
    _, group = cell.prepared  # a group the bot has checked, as for a challenge
    update = group.says(cell.subject.user, "/lobby 10")

    def opened(calls: list[Any]) -> bool:  # the lobby, with its buttons
        return any(isinstance(c, SendMessage) and c.reply_markup for c in calls)

    return await bot_answer(cell, update, opened)


async def _open_lobby(cell: Cell, opener: Subject) -> Lobby:
    command = OpenLobbyCommand(uuid.uuid4(), -(10**12), opener.user.user.id, Money(10, XTR), "🎲")
    lobby: Lobby = await cell.world.use(OpenLobby, command)
    return lobby


async def lobby_by_other(cell: Cell) -> tuple[Subject, Lobby]:
    """A lobby another player in good standing opened."""
    opener = await other_player(cell)
    return opener, await _open_lobby(cell, opener)


async def lobby_joined(cell: Cell) -> tuple[Subject, Lobby]:
    """A lobby another player opened and the subject joined, in good standing."""
    opener, lobby = await lobby_by_other(cell)
    await cell.world.use(JoinLobby, lobby.id, cell.subject.user.user.id)
    return opener, lobby


async def lobby_of_subject(cell: Cell) -> tuple[Subject, Lobby]:
    """A lobby the subject opened and another player joined, in good standing."""
    other = await other_player(cell)
    lobby = await _open_lobby(cell, cell.subject)
    await cell.world.use(JoinLobby, lobby.id, other.user.user.id)
    return cell.subject, lobby


async def _lobby_tap(cell: Cell, action: str) -> Answer:
    opener, lobby = cell.prepared
    tap = LobbyTap(action=action, lobby=lobby.id.hex).pack()
    update = Group().taps(cell.subject.user, tap, 2, opener.user)
    return await bot_answer(cell, update, lambda calls: _no_alert(calls) and _edited(calls))


async def bot_lobby_join(cell: Cell) -> Answer:
    return await _lobby_tap(cell, "join")


async def bot_lobby_leave(cell: Cell) -> Answer:
    return await _lobby_tap(cell, "leave")


async def bot_lobby_start(cell: Cell) -> Answer:
    cell.telegram.dice_values.extend([6, 1])  # the bot's dice, if the lobby is played
    return await _lobby_tap(cell, "start")
