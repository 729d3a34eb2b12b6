"""The screens of a crypto deposit through Crypto Pay (docs/payments-crypto.md): the assets
beside the Stars amounts, an asset's amounts, and the invoice with its pay link (a URL button
into @CryptoBot). The handlers are in handlers/crypto_deposit.py."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from application.crypto_pay import CryptoDeposit
from domain.crypto_pay import CRYPTO_ASSETS, DEPOSIT_BOUNDS, DEPOSIT_CHOICES
from domain.money import Money
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu

# The amounts offered, in whole units of each asset (domain.crypto_pay: the Mini App's too).
AMOUNTS: Final[dict[str, tuple[int, ...]]] = DEPOSIT_CHOICES
ICONS: Final = {"USDT": "💵", "TON": "💎"}


class CryptoAsset(CallbackData, prefix="ca"):
    asset: str


class CryptoType(CallbackData, prefix="ct"):
    """ "Type an amount" under an asset's amount buttons."""

    asset: str


class CryptoAmount(CallbackData, prefix="cx"):
    """One tap on an amount; `press` is fresh per screen, so a double tap asks for one invoice
    (the idempotency key) and a new screen makes a new one."""

    asset: str
    amount: int  # whole units
    press: str


def asset_row(t: Translator, assets: Iterable[str]) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=t("deposit.crypto.asset_button", icon=ICONS[a], asset=a),
            callback_data=CryptoAsset(asset=a).pack(),
        )
        for a in sorted(assets, key=list(AMOUNTS).index)
    ]


def amounts_screen(t: Translator, asset: str) -> tuple[str, InlineKeyboardMarkup]:
    press = secrets.token_hex(4)
    buttons = [
        InlineKeyboardButton(
            text=f"{amount} {asset}",
            callback_data=CryptoAmount(asset=asset, amount=amount, press=press).pack(),
        )
        for amount in AMOUNTS[asset]
    ]
    typed = InlineKeyboardButton(
        text=t("deposit.crypto.type_button"), callback_data=CryptoType(asset=asset).pack()
    )
    back = InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="deposit").pack())
    rows = [buttons[:3], buttons[3:], [typed], [back]]
    return t("deposit.crypto.choose", asset=asset), InlineKeyboardMarkup(inline_keyboard=rows)


def invoice_screen(
    t: Translator, deposit: CryptoDeposit, minutes: int
) -> tuple[str, InlineKeyboardMarkup]:
    amount = deposit.invoice.amount
    pay = InlineKeyboardButton(
        text=t("deposit.crypto.pay_button", amount=amount), url=deposit.pay_url
    )
    rows = [[pay], *keyboards.back(t).inline_keyboard]
    text = t("deposit.crypto.invoice", amount=amount, minutes=minutes)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def bounds(asset: str) -> tuple[Money, Money]:
    """The least and the most one invoice in `asset` may ask."""
    currency = CRYPTO_ASSETS[asset]
    low, high = DEPOSIT_BOUNDS[asset]
    return Money(low, currency), Money(high, currency)


def whole_units(asset: str, amount: int) -> int:
    """An offered amount in the asset's minor units."""
    exponent: int = CRYPTO_ASSETS[asset].exponent
    return int(amount * 10**exponent)
