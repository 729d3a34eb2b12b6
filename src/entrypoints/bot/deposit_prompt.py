"""The screens of the prompt at the first deposit (issue 23, UKGC RTS 12): the question, with
the deposit limit's periods (then the existing amount buttons and "type an amount") and "No
limit for now"; and, once a deposit limit applies, the way back into the deposit flow.
The handler is in handlers/deposit_prompt.py; the rule in
application/responsible/deposit_prompt.py."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from application.ports import CryptoPayConfig
from entrypoints.bot import keyboards
from entrypoints.bot.crypto_deposit import asset_row
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import FROM_DEPOSIT, Menu


class DepositPromptAnswer(CallbackData, prefix="dp"):
    """ "No limit for now" at the prompt (the only answer that is not a limit)."""


def prompt_screen(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    # The periods carry where the player came from: only this road leads on to the deposit.
    periods = keyboards.limit_periods(t, "deposit", FROM_DEPOSIT).inline_keyboard
    no_limit = InlineKeyboardButton(
        text=t("deposit_prompt.no_limit"), callback_data=DepositPromptAnswer().pack()
    )
    rows = [*periods, [no_limit], *keyboards.back(t).inline_keyboard]
    return t("deposit_prompt.ask"), InlineKeyboardMarkup(inline_keyboard=rows)


def amounts_screen(
    t: Translator, crypto: CryptoPayConfig | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The Stars amounts; with Crypto Pay on, its assets below them (docs/payments-crypto.md)."""
    markup = keyboards.deposits(t)
    if crypto is None or not crypto.enabled or not crypto.assets:
        return t("deposit.choose"), markup
    rows = [*markup.inline_keyboard, asset_row(t, crypto.assets)]
    return t("deposit.choose_with_crypto"), InlineKeyboardMarkup(inline_keyboard=rows)


def after_limit(t: Translator, kind: str, origin: str) -> InlineKeyboardMarkup:
    """Back to the menu; after a deposit limit that applies and was set on the deposit's road
    (the prompt sent the player here, and they came to deposit), first the way on to it. From
    🛡 Limits a protection screen never nudges towards a deposit."""
    rows = keyboards.back(t).inline_keyboard
    if kind == "deposit" and origin == FROM_DEPOSIT:
        go = InlineKeyboardButton(
            text=t("deposit_prompt.continue"), callback_data=Menu(action="deposit").pack()
        )
        rows = [[go], *rows]
    return InlineKeyboardMarkup(inline_keyboard=rows)
