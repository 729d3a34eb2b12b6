"""The VIP screen's buttons: claim rakeback (one claim id per rendered keyboard, so a double
tap is one claim), take the daily bonus, back to the menu."""

from __future__ import annotations

import uuid

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from application.vip import VipStatus
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu


class Vip(CallbackData, prefix="v"):
    action: str  # "show", "claim", "daily"
    currency: str = ""
    claim: str = ""  # the claim id (hex) a claim button carries


def vip_menu(t: Translator, status: VipStatus) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=t("vip.claim", amount=amount),
                callback_data=Vip(
                    action="claim", currency=amount.currency.code, claim=uuid.uuid4().hex
                ).pack(),
            )
        ]
        for amount in status.claimable
        if not amount.is_zero()
    ]
    if not status.daily_taken:
        rows.append(
            [
                InlineKeyboardButton(
                    text=t("vip.daily_take", amount=status.daily_bonus),
                    callback_data=Vip(action="daily").pack(),
                )
            ]
        )
    rows.append(
        [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="main").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def vip_done(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("vip.back"), callback_data=Vip(action="show").pack())],
            [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="main").pack())],
        ]
    )
