"""Playing a free bet from the 🎁 Bonus screen (docs/bonuses.md, "Free bets"): one tap, one
`PlayFreeBet` (a second tap answers the first play). Refusals are the error handler's (the
standing's, a limit's, `bonus_active`, an expired free bet)."""

from __future__ import annotations

import uuid

from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka, inject

from application.free_bets import PlayFreeBet
from domain.players import Player
from entrypoints.bot import bonus_keyboards
from entrypoints.bot.free_bets_screen import FreeBetAction, result_text
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("free_bets")


@handlers.callback_query(FreeBetAction.filter())
@inject
async def play(
    query: CallbackQuery,
    callback_data: FreeBetAction,
    player: Player,
    t: Translator,
    play_free_bet: FromDishka[PlayFreeBet],
) -> None:
    try:
        free_bet_id = uuid.UUID(hex=callback_data.free_bet)
    except ValueError:
        await query.answer()
        return
    result = await play_free_bet(player.id, free_bet_id)
    await query.answer()
    await show(query, result_text(t, result), bonus_keyboards.after(t))
