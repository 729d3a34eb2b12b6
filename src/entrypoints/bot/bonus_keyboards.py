"""The buttons of the player's bonus (entrypoints/bot/handlers/bonus.py) and of the one extra
step of a withdrawal while a bonus is active (handlers/withdrawals.py)."""

from __future__ import annotations

import uuid

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.withdraw_keyboards import WithdrawConfirm


class WithdrawForfeit(CallbackData, prefix="wbf"):
    """Withdraw the draft `press`, giving up the active bonus (the player confirmed)."""

    press: str


class BonusAction(CallbackData, prefix="bn"):
    """`claim`, `give_up` (asks first), `give_up_sure`; `bonus` is the bonus's id (hex)."""

    action: str
    bonus: str


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _menu(t: Translator) -> InlineKeyboardButton:
    return _button(t("menu.back"), Menu(action="main"))


def withdraw_forfeit(t: Translator, press: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("bonus.withdraw.forfeit_yes"), WithdrawForfeit(press=press))],
            [_button(t("bonus.withdraw.forfeit_no"), WithdrawConfirm(press=press, go=False))],
        ]
    )


def bonus_screen(t: Translator, bonuses: list[tuple[uuid.UUID, bool]]) -> InlineKeyboardMarkup:
    """For each active bonus (id, claimable): a claim button when it can be claimed, and the
    give-up button; then the menu."""
    rows: list[list[InlineKeyboardButton]] = []
    for bonus_id, claimable in bonuses:
        if claimable:
            rows.append(
                [_button(t("bonus.claim"), BonusAction(action="claim", bonus=bonus_id.hex))]
            )
        rows.append(
            [_button(t("bonus.give_up"), BonusAction(action="give_up", bonus=bonus_id.hex))]
        )
    rows.append([_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def give_up_sure(t: Translator, bonus_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("bonus.give_up_yes"), BonusAction(action="give_up_sure", bonus=bonus_id))],
            [_button(t("bonus.give_up_no"), Menu(action="bonus"))],
        ]
    )


def after(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("bonus.title_button"), Menu(action="bonus"))], [_menu(t)]]
    )
