"""Telegram Stars deposits and refunds (withdrawals and KYC: composition/withdrawals.py)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.telegram_stars import TelegramStarsInvoiceLinks, TelegramStarsRefunds
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    GetStarsPayment,
    ListStarsPayments,
    OfferStarsInvoiceLink,
    RefundStarsPayment,
)
from application.ports import StarsInvoiceLinks, StarsRefunds
from entrypoints.bot.runtime import TelegramRuntime


class PaymentsProvider(Provider):
    """Stars deposits (used by the bot and the Mini App) and refunds (used by finance staff)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def stars_refunds(self, telegram: TelegramRuntime) -> StarsRefunds:
        return TelegramStarsRefunds(telegram.bot)

    @provide(scope=Scope.APP)
    def stars_invoice_links(self, telegram: TelegramRuntime) -> StarsInvoiceLinks:
        return TelegramStarsInvoiceLinks(telegram.bot)

    create_stars_invoice = provide(CreateStarsInvoice)
    offer_stars_invoice_link = provide(OfferStarsInvoiceLink)  # the Mini App's deposit
    check_pre_checkout = provide(CheckPreCheckout)
    credit_stars_payment = provide(CreditStarsPayment)
    refund_stars_payment = provide(RefundStarsPayment)
    list_stars_payments = provide(ListStarsPayments)
    get_stars_payment = provide(GetStarsPayment)
