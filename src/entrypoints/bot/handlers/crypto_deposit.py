"""Deposits in USDT and TON through Crypto Pay (docs/payments-crypto.md): the asset, the
amount (a button, or typed: "12.5" or "12.5 USDT"), then the invoice's pay link. The money
arrives later, by Crypto Pay's webhook (the HTTP door) or the poller; the player hears of it
from the deposit notification.

The prompt at the first deposit (UKGC RTS 12, docs/responsible-gambling.md) holds here as on
the Stars road: each handler asks `prompt_instead` first, so an asset, an amount button or a
"Type an amount" kept from an old screen, or an amount typed, shows the prompt to a player who
owes it, never an invoice."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.crypto_pay import DepositInCrypto
from application.ports import CryptoPayConfig
from application.responsible import DepositPromptDue
from application.responsible.standing import CheckStanding
from domain.crypto_pay import CRYPTO_ASSETS, parse_amount
from domain.errors import DomainError
from domain.players import Player
from domain.standing import Operation
from entrypoints.bot import keyboards, screens
from entrypoints.bot.crypto_deposit import (
    AMOUNTS,
    CryptoAmount,
    CryptoAsset,
    CryptoType,
    amounts_screen,
    bounds,
    invoice_screen,
    whole_units,
)
from entrypoints.bot.deposit_prompt import prompt_instead
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
    prompt_due: FromDishka[DepositPromptDue],
) -> None:
    await query.answer()
    if not config.enabled or callback_data.asset not in config.assets:
        await screens.show(query, t("deposit.crypto.unavailable"), keyboards.back(t))
        return
    refusal = await check(player.id, Operation.DEPOSIT)
    if refusal is not None:
        await screens.show(query, *standing_screen(t, refusal))
        return
    if await prompt_instead(query, t, player.id, prompt_due, check):
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
    check: FromDishka[CheckStanding],
    prompt_due: FromDishka[DepositPromptDue],
) -> None:
    # An amount button on an old screen, from before the player owed the prompt's answer:
    # the prompt, and Crypto Pay is not asked.
    if await prompt_instead(query, t, player.id, prompt_due, check):
        await query.answer()
        return
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


class CryptoEntry(StatesGroup):
    """Waiting for a typed amount (the asset is in the state's data). Kept in the dispatcher's
    FSM storage: if it is lost, the number is not read as a deposit."""

    amount = State()


@handlers.callback_query(CryptoType.filter(F.asset.in_(AMOUNTS)))
@inject
async def ask_amount(
    query: CallbackQuery,
    callback_data: CryptoType,
    player: Player,
    t: Translator,
    state: FSMContext,
    check: FromDishka[CheckStanding],
    prompt_due: FromDishka[DepositPromptDue],
) -> None:
    await query.answer()
    if await prompt_instead(query, t, player.id, prompt_due, check):
        return  # no amount is waited for: the prompt comes first
    asset = callback_data.asset
    await state.set_state(CryptoEntry.amount)
    await state.set_data({"asset": asset})
    low, high = bounds(asset)
    if isinstance(query.message, Message):
        # A prompt of its own: a reply field cannot be put on an edited message.
        await query.message.answer(
            t("deposit.crypto.type_ask", asset=asset, min=low, max=high),
            reply_markup=ForceReply(
                force_reply=True, input_field_placeholder=t("deposit.crypto.type_placeholder")
            ),
        )


@handlers.message(CryptoEntry.amount, F.text, ~F.text.startswith("/"))
@inject
async def typed_amount(
    message: Message,
    player: Player,
    t: Translator,
    state: FSMContext,
    config: FromDishka[CryptoPayConfig],
    deposit: FromDishka[DepositInCrypto],
    check: FromDishka[CheckStanding],
    prompt_due: FromDishka[DepositPromptDue],
) -> None:
    asset = (await state.get_data()).get("asset")
    if asset not in AMOUNTS:
        await state.clear()  # state from an older build: nothing to go back to
        return
    # Asked before the prompt was owed (a deposit limit removed since, or a prompt from an
    # older build): the amount is not read; the prompt comes instead.
    if await prompt_instead(message, t, player.id, prompt_due, check):
        await state.clear()
        return
    low, high = bounds(asset)
    text = (message.text or "").strip()
    if text.upper().endswith(asset):
        text = text[: -len(asset)].strip()
    try:
        amount = parse_amount(text.replace(",", "."), low.currency)
    except DomainError:  # not a number, too fine, or beyond any amount
        await message.answer(t("deposit.crypto.type_not_a_number", asset=asset))
        return
    if not low.amount <= amount.amount <= high.amount:
        await message.answer(t("deposit.crypto.type_out_of_bounds", min=low, max=high))
        return
    await state.clear()
    # Telegram redelivering this message asks for the same invoice (its id is the key).
    made = await deposit(player.id, asset, amount.amount, f"typed:{message.message_id}")
    minutes = int(config.invoice_expiry.total_seconds()) // 60
    shown, markup = invoice_screen(t, made, minutes)
    await message.answer(shown, reply_markup=markup)
