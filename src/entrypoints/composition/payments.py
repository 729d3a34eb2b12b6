"""Telegram Stars deposits and refunds (withdrawals and KYC: composition/withdrawals.py)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.telegram_stars import TelegramStarsRefunds
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    GetStarsPayment,
    ListStarsPayments,
    RefundStarsPayment,
)
from application.ports import StarsRefunds
from entrypoints.bot.runtime import TelegramRuntime


class PaymentsProvider(Provider):
    """Stars deposits (used by the bot) and refunds (used by finance staff)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def stars_refunds(self, telegram: TelegramRuntime) -> StarsRefunds:
        return TelegramStarsRefunds(telegram.bot)

    create_stars_invoice = provide(CreateStarsInvoice)
    check_pre_checkout = provide(CheckPreCheckout)
    credit_stars_payment = provide(CreditStarsPayment)
    refund_stars_payment = provide(RefundStarsPayment)
    list_stars_payments = provide(ListStarsPayments)
    get_stars_payment = provide(GetStarsPayment)
