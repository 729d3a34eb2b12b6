"""Telegram Stars through the Bot API: refunds (`refundStarPayment`) and payment links for the
Mini App (`createInvoiceLink`)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from domain.money import XTR
from domain.payments import InvoiceLinkUnavailable, InvoiceWording, RefundRefused, StarsInvoice

if TYPE_CHECKING:  # a process without a bot never imports aiogram (~130 MB)
    from aiogram import Bot

# Telegram's answer when the charge was refunded before: our earlier call got through but its
# answer was lost, so the refund is done.
_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
# The player waits on the page for the link: a slow Telegram is told as "try again".
LINK_WAIT_S = 8.0
log = logging.getLogger(__name__)


class TelegramStarsRefunds:
    def __init__(self, bot: Bot | None) -> None:
        self._bot = bot

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        if self._bot is None:
            raise RefundRefused("the Telegram bot is not configured (CROUPIER_BOT_TOKEN)")
        from aiogram.exceptions import TelegramBadRequest

        try:
            await self._bot.refund_star_payment(
                user_id=telegram_user_id, telegram_payment_charge_id=charge_id
            )
        except TelegramBadRequest as error:
            if _ALREADY_REFUNDED in error.message:
                return
            # A 400 is Telegram's definite "no" (unknown charge, too old, wrong user).
            raise RefundRefused(f"Telegram refused the refund: {error.message}") from error


class TelegramStarsInvoiceLinks:
    def __init__(self, bot: Bot | None) -> None:
        self._bot = bot

    async def invoice_link(self, invoice: StarsInvoice, wording: InvoiceWording) -> str:
        if self._bot is None:
            raise InvoiceLinkUnavailable("the Telegram bot is not configured (CROUPIER_BOT_TOKEN)")
        from aiogram.types import LabeledPrice

        stars = invoice.amount.amount
        try:
            link = await asyncio.wait_for(
                self._bot.create_invoice_link(
                    title=wording.title,
                    description=wording.description,
                    payload=invoice.payload,  # what the pre-checkout and the credit look up
                    currency=XTR.code,
                    prices=[LabeledPrice(label=wording.price_label, amount=stars)],
                    provider_token="",  # Telegram Stars take no payment provider  # nosec B106
                ),
                LINK_WAIT_S,
            )
        except Exception as error:  # any failure is the same to the player: no link, no charge
            log.warning("createInvoiceLink for %s failed: %s", invoice.payload, error)
            raise InvoiceLinkUnavailable("Telegram gave no payment link; try again") from error
        if not isinstance(link, str) or not link.startswith("https://"):
            raise InvoiceLinkUnavailable("Telegram gave no payment link; try again")
        return link
