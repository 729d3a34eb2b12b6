"""A deposit, loss or wager limit typed as free text (UKGC RTS 12), beside the amount buttons:
"250" or "250 ⭐". This module only decodes: `SetLimit` decides, as for a button (a new or
lower limit applies at once, a higher one waits for the cooling-off and a confirmation).

Junk, zero, a negative number or more than any limit can be (the domain's bound,
`domain.responsible.max_limit`) is answered politely with what would do, and the prompt waits
for another amount; Cancel goes back to the buttons."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from dishka.integrations.aiogram import FromDishka, inject

from application.responsible import SetLimit
from domain.money import XTR, Money
from domain.players import Player
from domain.responsible import LimitKind, LimitPeriod, LimitTooLarge, format_moment
from entrypoints.bot.deposit_prompt import after_limit
from entrypoints.bot.handlers.responsible import choose_amount
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import LIMIT_KINDS, LIMIT_PERIODS, Care, Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.stake_picker import parse_typed

handlers = Handlers("limit_typing")


class LimitEntry(StatesGroup):
    """Waiting for a typed limit (the kind and period are in the state's data). Kept in the
    dispatcher's FSM storage: if it is lost, the number is not read as a limit."""

    amount = State()


def _cancel(t: Translator, kind: str, period: str, origin: str) -> InlineKeyboardMarkup:
    back = Care(action="type_cancel", kind=kind, period=period, origin=origin).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("limit_typing.cancel"), callback_data=back)]]
    )


def _names(t: Translator, kind: str, period: str) -> dict[str, str]:
    return {"kind": t(f"care.kind.{kind}"), "period": t(f"care.period.{period}")}


@handlers.callback_query(
    Care.filter(F.action == "type"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
)
async def ask_limit(
    query: CallbackQuery, callback_data: Care, t: Translator, state: FSMContext
) -> None:
    await query.answer()
    kind, period = callback_data.kind, callback_data.period
    await state.set_state(LimitEntry.amount)
    # The road the player came by (Care.origin) goes with the prompt: it decides whether the
    # confirmation offers the way on to the deposit.
    await state.set_data({"kind": kind, "period": period, "origin": callback_data.origin})
    if isinstance(query.message, Message):
        # A prompt of its own: a reply field cannot be put on an edited message.
        await query.message.answer(
            t("limit_typing.ask", **_names(t, kind, period)),
            reply_markup=ForceReply(
                force_reply=True, input_field_placeholder=t("limit_typing.placeholder")
            ),
        )


@handlers.callback_query(
    Care.filter(F.action == "type_cancel"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
)
async def cancel_typing(
    query: CallbackQuery, callback_data: Care, t: Translator, state: FSMContext
) -> None:
    """Back to the amount buttons; a number sent after this is no limit."""
    await state.clear()
    await choose_amount(query, callback_data, t)


@handlers.message(LimitEntry.amount, F.text, ~F.text.startswith("/"))
@inject
async def typed_limit(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    set_limit: FromDishka[SetLimit],
) -> None:
    data = await state.get_data()
    kind, period, origin = data.get("kind"), data.get("period"), data.get("origin", "")
    if kind not in LIMIT_KINDS or period not in LIMIT_PERIODS or not isinstance(origin, str):
        await state.clear()  # state from an older build: nothing to go back to
        return
    cancel = _cancel(t, kind, period, origin)
    typed = parse_typed(message.text or "")
    if typed is None:
        await message.answer(t("limit_typing.not_a_number"), reply_markup=cancel)
        return
    if typed <= 0:
        await message.answer(t("limit_typing.not_positive"), reply_markup=cancel)
        return
    amount = Money(typed, XTR)
    try:
        change = await set_limit(player.id, LimitKind(kind), LimitPeriod(period), amount)
    except LimitTooLarge as too_large:
        # The domain's bound, for every door; here in words, and the prompt waits on.
        text = t("limit_typing.too_big", max=too_large.maximum)
        await message.answer(text, reply_markup=cancel)
        return
    await state.clear()
    if change.applied or change.confirmable_at is None:
        text = t("limit_typing.applied", amount=amount, **_names(t, kind, period))
        markup = after_limit(t, kind, origin)  # on the deposit's road, on to the deposit
    else:
        text = t("care.limit_waits", at=format_moment(change.confirmable_at))
        limits = InlineKeyboardButton(
            text=t("menu.limits"), callback_data=Menu(action="limits").pack()
        )
        markup = InlineKeyboardMarkup(inline_keyboard=[[limits]])
    await message.answer(text, reply_markup=markup)
