"""The withdrawal flow's keyboards and the callback data behind them
(entrypoints/bot/handlers/withdrawals.py).

Callback data is never trusted for how much: an amount button must be one the player would be
offered now (`offered_amounts` of the current balance), and the confirm button names a draft
kept on the server (the conversation's storage), never the amount or the destination."""

from __future__ import annotations

from datetime import UTC

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from domain.money import Money
from domain.withdrawal_policy import CurrencyWithdrawalLimits
from domain.withdrawals import Withdrawal, WithdrawalState
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu

# The amount buttons: these multiples of the currency's smallest withdrawal (100, 500, 1000,
# 5000 ⭐ by default), those the balance and the largest withdrawal allow, and the whole
# balance when it can be withdrawn at once.
PRESET_MULTIPLES = (1, 5, 10, 50)


class WithdrawCurrency(CallbackData, prefix="wk"):
    code: str


class WithdrawAmount(CallbackData, prefix="wa"):
    code: str
    amount: int  # minor units; 0: the player types an amount


class WithdrawConfirm(CallbackData, prefix="wc"):
    press: str  # the draft's id: the request's idempotency key derives from it
    go: bool


class PendingList(CallbackData, prefix="wp"):
    pass


class CancelWithdrawalButton(CallbackData, prefix="wx"):
    withdrawal: str  # the id's 32 hex digits
    sure: bool


def offered_amounts(
    balance: Money, limits: CurrencyWithdrawalLimits, cashing_out: bool = False
) -> tuple[Money, ...]:
    """The amounts offered as buttons, smallest first: never above the balance or the largest
    withdrawal, never below the smallest (which, for a player who may no longer play, is their
    whole balance when that is below the minimum: `CurrencyWithdrawalLimits.smallest`)."""
    most = min(balance.amount, limits.maximum)
    amounts = {limits.minimum * m for m in PRESET_MULTIPLES if limits.minimum * m <= most}
    if limits.smallest(balance.amount, cashing_out) <= balance.amount <= limits.maximum:
        amounts.add(balance.amount)
    return tuple(Money(a, balance.currency) for a in sorted(amounts))


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _menu(t: Translator) -> InlineKeyboardButton:
    return _button(t("menu.back"), Menu(action="main"))


def _pending(t: Translator) -> InlineKeyboardButton:
    return _button(t("withdraw_flow.pending_button"), PendingList())


def currencies(t: Translator, balances: tuple[Money, ...]) -> InlineKeyboardMarkup:
    buttons = [[_button(t.money(b), WithdrawCurrency(code=b.currency.code))] for b in balances]
    return InlineKeyboardMarkup(inline_keyboard=[*buttons, [_pending(t)], [_menu(t)]])


def amounts(t: Translator, offered: tuple[Money, ...], balance: Money) -> InlineKeyboardMarkup:
    code = balance.currency.code
    buttons = [
        _button(
            t("withdraw_flow.all", amount=m) if m == balance else t.money(m),
            WithdrawAmount(code=code, amount=m.amount),
        )
        for m in offered
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(t("withdraw_flow.type_amount"), WithdrawAmount(code=code, amount=0))])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_pending(t)], [_menu(t)]])


def only_back(t: Translator) -> InlineKeyboardMarkup:
    """While the bot waits for something typed: the way out."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("withdraw_flow.stop"), Menu(action="withdraw"))], [_menu(t)]]
    )


def confirm(t: Translator, press: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("withdraw_flow.confirm"), WithdrawConfirm(press=press, go=True)),
                _button(t("withdraw_flow.cancel"), WithdrawConfirm(press=press, go=False)),
            ]
        ]
    )


def after_receipt(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_pending(t)], [_menu(t)]])


def start_again(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("menu.withdraw"), Menu(action="withdraw"))], [_menu(t)]]
    )


def pending(t: Translator, withdrawals: tuple[Withdrawal, ...]) -> InlineKeyboardMarkup:
    """A cancel button for each withdrawal still waiting for review, named by its amount and
    time so that the player knows which one it is."""
    rows = [
        [
            _button(
                t(
                    "withdraw_flow.cancel_one",
                    amount=w.amount,
                    time=w.requested_at.astimezone(UTC).strftime("%H:%M"),
                ),
                CancelWithdrawalButton(withdrawal=w.id.hex, sure=False),
            )
        ]
        for w in withdrawals
        if w.state is WithdrawalState.REQUESTED
    ]
    rows.append([_button(t("menu.withdraw"), Menu(action="withdraw"))])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_menu(t)]])


def cancel_sure(t: Translator, withdrawal: Withdrawal) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("withdraw_flow.cancel_yes"),
                    CancelWithdrawalButton(withdrawal=withdrawal.id.hex, sure=True),
                ),
                _button(t("withdraw_flow.cancel_no"), PendingList()),
            ]
        ]
    )
