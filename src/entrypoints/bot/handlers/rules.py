"""A game's rules and its return to player before a bet (UKGC RTS 3): the "ℹ️ Rules" button of
every game's stake picker, and /rules GAME. Read only: the numbers are the use case's
(`application.games_rules`), the words the locales'."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.games_rules import GetGameRules
from domain.games.catalog import GAMES
from domain.money import XTR
from entrypoints.bot import screens
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers
from entrypoints.bot.rules_screen import choose_keyboard, game_code, rules_keyboard, rules_text
from entrypoints.bot.stake_picker import RulesOf

handlers = Handlers("rules")


@handlers.callback_query(RulesOf.filter(F.game.in_(GAMES)))
@inject
async def rules_button(
    query: CallbackQuery,
    callback_data: RulesOf,
    t: Translator,
    rules: FromDishka[GetGameRules],
) -> None:
    shown = await rules(callback_data.game, XTR)
    await query.answer()
    await screens.show(
        query,
        rules_text(t, shown),
        rules_keyboard(t, callback_data.game, max(0, callback_data.stake)),
    )


@handlers.message(Command("rules"))
@inject
async def rules_command(
    message: Message,
    command: CommandObject,
    t: Translator,
    rules: FromDishka[GetGameRules],
) -> None:
    typed = command.args or ""
    code = game_code(typed)
    if code is None:
        key = "rules.choose" if not typed.strip() else "rules.unknown"
        await message.answer(t(key), reply_markup=choose_keyboard(t))
        return
    shown = await rules(code, XTR)
    await message.answer(rules_text(t, shown), reply_markup=rules_keyboard(t, code, 0))
