"""Refunds of Telegram Stars payments through the Bot API (`refundStarPayment`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.payments import RefundRefused

if TYPE_CHECKING:  # a process without a bot never imports aiogram (~130 MB)
    from aiogram import Bot

# Telegram's answer when the charge was refunded before: our earlier call got through but its
# answer was lost, so the refund is done.
_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


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
