"""Withdrawal requests from the chat: the amount leaves the wallet for the staff queue at once.

The request id derives from the chat and message, so Telegram delivering the same message
twice (or the player's client resending it) requests once."""

from __future__ import annotations

import uuid

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.withdrawals import RequestWithdrawal
from domain.money import XTR, Money
from domain.players import Player
from domain.withdrawals import WithdrawalRefused
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.routing import Handlers

handlers = Handlers("withdrawals")
WITHDRAWAL_NAMESPACE = uuid.UUID("0c7d2f1e-8a55-4a8f-b1b6-2f4f8f0d7a31")
KNOWN_RULES = frozenset(
    {"currency", "min_amount", "max_amount", "daily_limit", "kyc_required", "wagering_requirement"}
)


def refusal_text(t: Translator, refusal: WithdrawalRefused) -> str:
    if refusal.rule not in KNOWN_RULES:
        return t("games.error", reason=refusal.message)
    return t(
        f"withdraw.refused.{refusal.rule}",
        limit=refusal.limit or "",
        remaining=refusal.remaining or "",
    )


@handlers.callback_query(Menu.filter(F.action == "withdraw"))
@inject
async def how_to_withdraw(
    query: CallbackQuery, player: Player, t: Translator, balances: FromDishka[GetBalances]
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        stars = next((b for b in await balances(player.id) if b.currency == XTR), Money(0, XTR))
        await query.message.answer(t("withdraw.how", balance=stars), reply_markup=keyboards.back(t))


@handlers.message(Command("withdraw"))
@inject
async def withdraw(
    message: Message,
    command: CommandObject,
    player: Player,
    t: Translator,
    request: FromDishka[RequestWithdrawal],
) -> None:
    parts = (command.args or "").split(maxsplit=1)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(parts) != 2 or not (parts[0].isascii() and parts[0].isdigit()) or int(parts[0]) <= 0:
        await message.answer(t("withdraw.usage"))
        return
    amount = Money(int(parts[0]), XTR)
    request_id = uuid.uuid5(WITHDRAWAL_NAMESPACE, f"{message.chat.id}:{message.message_id}")
    withdrawal = await request(player.id, amount, parts[1], request_id)
    await message.answer(
        t("withdraw.requested", amount=withdrawal.amount, destination=withdrawal.destination)
    )
