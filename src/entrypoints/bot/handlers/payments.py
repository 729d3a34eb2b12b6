"""Deposits in Telegram Stars.

An invoice carries a unique payload; `pre_checkout_query` is answered at once after the checks
(Telegram cancels after 10 s, so the checks get a deadline well inside it); money is credited
only on `successful_payment`, keyed by Telegram's charge id, so a payment delivered twice
credits once."""

from __future__ import annotations

import asyncio
import logging

from aiogram import F
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery
from dishka.integrations.aiogram import FromDishka, inject

from application.payments import CheckPreCheckout, CreateStarsInvoice, CreditStarsPayment
from application.ports import CryptoPayConfig
from application.responsible import DepositPromptDue
from application.responsible.standing import CheckStanding
from domain.errors import DomainError
from domain.money import XTR, Money
from domain.players import Player
from domain.standing import Operation
from entrypoints.bot import screens
from entrypoints.bot.deposit_prompt import amounts_screen, prompt_instead
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import DEPOSITS, Deposit, Menu
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers
from entrypoints.bot.standing_screen import standing_screen

log = logging.getLogger(__name__)
handlers = Handlers("payments")
# Telegram cancels a checkout not answered within 10 s; answering "no" in time beats silence.
PRE_CHECKOUT_DEADLINE = 6.0


@handlers.callback_query(Menu.filter(F.action == "deposit"))
@inject
async def choose_amount(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    prompt_due: FromDishka[DepositPromptDue],
    check: FromDishka[CheckStanding],
    crypto: FromDishka[CryptoPayConfig],
) -> None:
    await query.answer()
    # A time-out, an exclusion, a block or the missing 18+ confirmation is shown before any
    # amount is offered: an invoice would only be refused.
    refusal = await check(player.id, Operation.DEPOSIT)
    if refusal is not None:
        await screens.show(query, *standing_screen(t, refusal))
        return
    # UKGC RTS 12: a player who never set a deposit limit nor said "No limit for now" is
    # asked first (docs/responsible-gambling.md, "The prompt at the first deposit").
    if await prompt_instead(query, t, player.id, prompt_due, check):
        return
    await screens.show(query, *amounts_screen(t, crypto))


@handlers.callback_query(Deposit.filter(F.amount.in_(DEPOSITS)))
@inject
async def send_invoice(
    query: CallbackQuery,
    callback_data: Deposit,
    player: Player,
    t: Translator,
    prompt_due: FromDishka[DepositPromptDue],
    check: FromDishka[CheckStanding],
    create: FromDishka[CreateStarsInvoice],
) -> None:
    # The prompt's rule holds on this road too, not only when the flow opens: an amount button
    # on an old screen (from before the prompt, or from a chat scrolled back) shows the prompt,
    # never an invoice. The rule itself is the use case's (`DepositLimitPromptDue`, on every
    # door, the Mini App's too); asking first here shows the prompt screen rather than a
    # refusal (tests/entrypoints/test_bot_deposit_prompt_roads.py lists every door).
    if await prompt_instead(query, t, player.id, prompt_due, check):
        await query.answer()
        return
    # The use case refuses a player who may not deposit (blocked, no terms, excluded, over a
    # limit); the error handler says why in the player's language.
    invoice = await create(player.id, callback_data.amount)
    await query.answer()
    if isinstance(query.message, Message):
        stars = invoice.amount.amount
        await query.message.answer_invoice(
            title=t("deposit.invoice_title", amount=stars),
            description=t("deposit.invoice_description", amount=stars),
            payload=invoice.payload,
            currency=XTR.code,
            # The price's label shows in Telegram's payment form: words, not the currency code.
            prices=[LabeledPrice(label=t("deposit.price_label"), amount=stars)],
            provider_token="",  # Telegram Stars take no payment provider  # nosec B106
        )


@handlers.pre_checkout_query()
@inject
async def pre_checkout(
    query: PreCheckoutQuery, t: Translator, check: FromDishka[CheckPreCheckout]
) -> None:
    try:
        async with asyncio.timeout(PRE_CHECKOUT_DEADLINE):
            await check(
                query.invoice_payload, query.from_user.id, query.total_amount, query.currency
            )
    except DomainError as error:
        # In the player's words, as the error handler would put it (the standing, a limit, a
        # break they chose), never the system's own text.
        reason = refusal_text(t, error)
        await query.answer(ok=False, error_message=t("deposit.refused", reason=reason))
        return
    except TimeoutError:
        log.warning("pre-checkout %s: checks missed their deadline", query.id)
        await query.answer(ok=False, error_message=t("deposit.try_again"))
        return
    await query.answer(ok=True)


@handlers.message(F.successful_payment)
@inject
async def successful_payment(
    message: Message, t: Translator, credit: FromDishka[CreditStarsPayment]
) -> None:
    payment = message.successful_payment
    if payment is None or message.from_user is None:  # narrowed by the filter; for the types
        return
    credited = await credit(
        payment.telegram_payment_charge_id,
        payment.invoice_payload,
        message.from_user.id,
        payment.total_amount,
        payment.currency,
    )
    if credited.replayed:
        return  # Telegram delivered the same charge again: credited and confirmed already
    await message.answer(
        t(
            "deposit.credited",
            amount=Money(payment.total_amount, XTR),
            balance=credited.balance,
        )
    )
