"""Deposits in USDT and TON through Crypto Pay (docs/payments-crypto.md): the asset, the
amount, then the invoice's pay link. The money arrives later, by Crypto Pay's webhook (the
HTTP door) or the poller; the player hears of it from the deposit notification."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka, inject

from application.crypto_pay import DepositInCrypto
from application.ports import CryptoPayConfig
from application.responsible.standing import CheckStanding
from domain.crypto_pay import CRYPTO_ASSETS
from domain.players import Player
from domain.standing import Operation
from entrypoints.bot import keyboards, screens
from entrypoints.bot.crypto_deposit import (
    AMOUNTS,
    CryptoAmount,
    CryptoAsset,
    amounts_screen,
    invoice_screen,
    whole_units,
)
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers
from entrypoints.bot.standing_screen import standing_screen

handlers = Handlers("crypto_deposit")


@handlers.callback_query(CryptoAsset.filter(F.asset.in_(CRYPTO_ASSETS)))
@inject
async def choose_asset(
    query: CallbackQuery,
    callback_data: CryptoAsset,
    player: Player,
    t: Translator,
    config: FromDishka[CryptoPayConfig],
    check: FromDishka[CheckStanding],
) -> None:
    await query.answer()
    if not config.enabled or callback_data.asset not in config.assets:
        await screens.show(query, t("deposit.crypto.unavailable"), keyboards.back(t))
        return
    refusal = await check(player.id, Operation.DEPOSIT)
    if refusal is not None:
        await screens.show(query, *standing_screen(t, refusal))
        return
    await screens.show(query, *amounts_screen(t, callback_data.asset))


@handlers.callback_query(CryptoAmount.filter(F.asset.in_(AMOUNTS)))
@inject
async def create_invoice(
    query: CallbackQuery,
    callback_data: CryptoAmount,
    player: Player,
    t: Translator,
    config: FromDishka[CryptoPayConfig],
    deposit: FromDishka[DepositInCrypto],
) -> None:
    # The use case refuses a player who may not deposit (blocked, no terms, excluded, over a
    # limit) and a provider that does not answer; the error handler says why.
    asset = callback_data.asset
    made = await deposit(
        player.id,
        asset,
        whole_units(asset, callback_data.amount),
        f"bot:{callback_data.press}:{asset}:{callback_data.amount}",
    )
    await query.answer()
    minutes = int(config.invoice_expiry.total_seconds()) // 60
    await screens.show(query, *invoice_screen(t, made, minutes))
