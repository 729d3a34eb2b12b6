"""Promo codes in the bot: `/promo CODE`, or the 🎟 button of the balance screen, which asks
for the code as text. One use case (`RedeemPromoCode`) decides; a refusal is a polite
sentence in the player's language (entrypoints/bot/refusals.py, texts in promo.toml). A
player whose standing refuses promotions gets no button, and /promo answers with their
standing, never with an offer (docs/bonuses.md)."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.campaigns import CampaignGrant, RedeemPromoCode
from application.responsible.standing import CheckStanding
from domain.errors import DomainError
from domain.money import Money
from domain.players import Player
from domain.standing import Operation
from entrypoints.bot import free_bets_screen, keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("promo")


class PromoEntry(StatesGroup):
    code = State()  # waiting for the code, typed


def promo_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t("promo.button"), callback_data=Menu(action="promo").pack())


def with_promo(t: Translator, markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """A screen's keyboard with the promo code button above it (for a player the standing
    allows promotions; the caller asks)."""
    return InlineKeyboardMarkup(inline_keyboard=[[promo_button(t)], *markup.inline_keyboard])


def granted_text(t: Translator, grant: CampaignGrant) -> str:
    if grant.replayed:
        return t("promo.already", code=grant.campaign.code.upper())
    if grant.campaign.free_bet is not None:
        return free_bets_screen.granted_text(t, grant.campaign, grant.campaign.free_bet)
    terms = grant.campaign.terms
    amount = grant.redemption.amount
    days = max(1, terms.expires_after // timedelta(days=1))
    if terms.wagering_multiple == 0:
        return t("promo.granted_free", amount=amount, days=days)
    return t(
        "promo.granted",
        amount=amount,
        wagering=Money(amount.amount * terms.wagering_multiple, amount.currency),
        multiple=terms.wagering_multiple,
        days=days,
    )


async def _redeem(
    message: Message, t: Translator, redeem: RedeemPromoCode, player_id: int, code: str
) -> None:
    try:
        grant = await redeem(player_id, code)
    except DomainError as error:
        await message.answer(refusal_text(t, error), reply_markup=keyboards.back(t))
        return
    await message.answer(granted_text(t, grant), reply_markup=keyboards.back(t))


@handlers.message(Command("promo"))
@inject
async def promo_command(
    message: Message,
    command: CommandObject,
    player: Player,
    t: Translator,
    state: FSMContext,
    redeem: FromDishka[RedeemPromoCode],
    check: FromDishka[CheckStanding],
) -> None:
    if command.args:
        await state.clear()
        await _redeem(message, t, redeem, player.id, command.args.strip())
        return
    refusal = await check(player.id, Operation.PROMOTION)
    if refusal is not None:
        await message.answer(refusal_text(t, refusal), reply_markup=keyboards.back(t))
        return
    await state.set_state(PromoEntry.code)
    await message.answer(t("promo.ask"), reply_markup=keyboards.back(t))


@handlers.callback_query(Menu.filter(F.action == "promo"))
@inject
async def promo_tapped(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    state: FSMContext,
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    refusal = await check(player.id, Operation.PROMOTION)
    if refusal is not None:
        await show(query, refusal_text(t, refusal), keyboards.back(t))
        return
    await state.set_state(PromoEntry.code)
    await show(query, t("promo.ask"), keyboards.back(t))


@handlers.message(StateFilter(PromoEntry.code), F.text)
@inject
async def typed_code(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    redeem: FromDishka[RedeemPromoCode],
) -> None:
    await state.clear()
    await _redeem(message, t, redeem, player.id, (message.text or "").strip())
