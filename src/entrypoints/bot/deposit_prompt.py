"""The screens of the prompt at the first deposit (issue 23, UKGC RTS 12): the question, with
the deposit limit's periods (then the existing amount buttons and "type an amount") and "No
limit for now"; and, once a deposit limit applies, the way back into the deposit flow.
The handler is in handlers/deposit_prompt.py; the rule in
application/responsible/deposit_prompt.py."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from application.ports import CryptoPayConfig
from application.responsible import DepositPromptDue
from application.responsible.standing import CheckStanding
from domain.standing import Operation
from entrypoints.bot import keyboards, screens
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


async def prompt_instead(
    event: CallbackQuery | Message,
    t: Translator,
    player_id: int,
    due: DepositPromptDue,
    check: CheckStanding,
) -> bool:
    """Show the prompt instead of what was asked, if it is owed; True when shown (the caller
    stops there). Every road towards a deposit invoice asks this, Stars or crypto: the
    deposit screen, an asset, an amount button (one on an old screen too), "Type an amount"
    and the typed amount, so no button or message kept from before reaches an invoice
    unasked. A player who may not deposit (blocked, excluded, on a break) is not asked: the
    road's own refusal tells them why (the standing screen, or the use case's error).
    A tap is not answered here: each handler answers its own (`query.answer`) once."""
    if not await due(player_id) or await check(player_id, Operation.DEPOSIT) is not None:
        return False
    text, markup = prompt_screen(t)
    if isinstance(event, CallbackQuery):
        await screens.show(event, text, markup)
    else:
        await event.answer(text, reply_markup=markup)
    return True


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
