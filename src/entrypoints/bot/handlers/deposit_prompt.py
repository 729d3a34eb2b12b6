"""The prompt at the first deposit: "No limit for now". The prompt itself is shown by the
deposit flow, Stars and crypto (handlers/payments.py, handlers/crypto_deposit.py, through
`prompt_instead`); setting a limit from it goes through the care screens
(handlers/responsible.py, handlers/limit_typing.py), which then offer the way on to the
deposit. This handler moves no money: it remembers the answer and shows the amounts."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka, inject

from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt
from domain.players import Player
from entrypoints.bot import screens
from entrypoints.bot.deposit_prompt import DepositPromptAnswer, amounts_screen
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers

handlers = Handlers("deposit_prompt")


@handlers.callback_query(DepositPromptAnswer.filter())
@inject
async def no_limit_for_now(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    answer: FromDishka[AnswerDepositPrompt],
    crypto: FromDishka[CryptoPayConfig],
) -> None:
    await answer(player.id)
    await query.answer()
    await screens.show(query, *amounts_screen(t, crypto))
