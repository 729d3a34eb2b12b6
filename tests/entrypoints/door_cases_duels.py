"""The door x rule matrix's cases of a group-chat duel (issue 23), through the bot in a group:
the challenge (a stake: `Operation.BET`, the challenger's standing and limits), the accept
(the challenged player's stake: BET) and the decline (the challenger's stake back:
`Operation.SETTLE`, never refused). The other player, in good standing, is made by the case's
`prepare`; the subject's own refusal reaches them alone, in a private message or an alert."""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from application.duels import ChallengeDuel, ChallengeDuelCommand, RecordDuelGroup
from domain.duels import Duel
from domain.money import XTR, Money
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
