"""A challenge's buttons: Accept and Decline, each naming the duel (only the challenged
player's tap is taken: the use cases refuse anyone else's)."""

from __future__ import annotations

import uuid

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from entrypoints.bot.i18n import Translator


class DuelTap(CallbackData, prefix="duel"):
    action: str  # "accept" or "decline"
    duel: str  # the duel's id, 32 hex digits (the data stays under Telegram's 64 bytes)


def answer_buttons(t: Translator, duel_id: uuid.UUID) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("duels.accept"),
                    callback_data=DuelTap(action="accept", duel=duel_id.hex).pack(),
                ),
                InlineKeyboardButton(
                    text=t("duels.decline"),
                    callback_data=DuelTap(action="decline", duel=duel_id.hex).pack(),
                ),
            ]
        ]
    )
