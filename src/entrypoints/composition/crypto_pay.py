"""Crypto Pay deposits (docs/payments-crypto.md): the client and the webhook reader from the
settings (one per process), and the use cases (one per request). Held by the kinds that offer
the deposit (the bot), receive the webhook (HTTP) and run the poller (`croupier run`'s bot and
HTTP parts, and `croupier crypto-pay poll`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.crypto_pay import CryptoPayClient, CryptoPayWebhookReader
from application.crypto_pay import (
    CreditCryptoInvoice,
    CryptoPayBalances,
    DepositInCrypto,
    PollCryptoInvoices,
)
from application.ports import (
    CryptoPayConfig,
    CryptoPayGateway,
    CryptoPayWebhooks,
    UnitOfWorkFactory,
)
from entrypoints.settings import Settings


class CryptoPayProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def crypto_pay_config(self, settings: Settings) -> CryptoPayConfig:
        return CryptoPayConfig(
            enabled=settings.crypto_pay_token is not None,
            assets=settings.crypto_pay_asset_codes(),
            invoice_expiry=settings.crypto_pay_expiry(),
            webhook_path=settings.crypto_pay_webhook_path or "",
        )

    @provide(scope=Scope.APP)
    async def crypto_pay_gateway(self, settings: Settings) -> AsyncIterator[CryptoPayGateway]:
        client = CryptoPayClient(
            settings.crypto_pay_token or "",
            settings.crypto_pay_host,
            timeout_s=settings.crypto_pay_timeout_s,
        )
        yield client
        await client.close()

    @provide(scope=Scope.APP)
    def crypto_pay_webhooks(self, settings: Settings) -> CryptoPayWebhooks:
        return CryptoPayWebhookReader(settings.crypto_pay_token or "")

    deposit_in_crypto = provide(DepositInCrypto)
    credit_crypto_invoice = provide(CreditCryptoInvoice)
    poll_crypto_invoices = provide(PollCryptoInvoices)

    @provide
    def crypto_pay_balances(
        self, settings: Settings, uow: UnitOfWorkFactory, client: CryptoPayGateway
    ) -> CryptoPayBalances:
        return CryptoPayBalances(uow, client, settings.crypto_pay_asset_codes())
