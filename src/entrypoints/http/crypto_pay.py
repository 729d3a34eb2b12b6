"""Crypto Pay's webhook (docs/payments-crypto.md): `POST /crypto-pay/webhook/<secret path>`.

The signature (`crypto-pay-api-signature`, HMAC-SHA256 of the raw body keyed with the token's
SHA-256) is checked on the bytes as they arrived, before any JSON is read: a wrong one is a 401
problem and nothing is written. An `invoice_paid` update goes to `CreditCryptoInvoice`, the
one road the poller takes too; any other update is acknowledged and ignored. Crypto Pay
retries an update until it gets a 200, so a replay, a duplicate or a late one answers 200 and
changes nothing more."""

from __future__ import annotations

import hmac
from typing import Any

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from application.crypto_pay import CreditCryptoInvoice
from application.ports import BadWebhookSignature, CryptoPayConfig, CryptoPayWebhooks
from entrypoints.http.problems import problem

SIGNATURE_HEADER = "crypto-pay-api-signature"
# A webhook is one invoice: far below this. A larger body is refused before it is hashed.
MAX_BODY = 64 * 1024


class CryptoPayWebhookController(Controller):
    path = "/crypto-pay"
    tags = ["crypto-pay"]  # noqa: RUF012 - Litestar reads it as a class attribute
    include_in_schema = False

    @post("/webhook/{secret:str}", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def webhook(
        self,
        secret: FromPath[str],
        request: Request[Any, Any, Any],
        config: FromDishka[CryptoPayConfig],
        webhooks: FromDishka[CryptoPayWebhooks],
        credit: FromDishka[CreditCryptoInvoice],
    ) -> Response[Any]:
        if not config.enabled or not config.webhook_path:
            raise NotFoundException("Crypto Pay webhooks are not configured")
        if not hmac.compare_digest(secret.encode(), config.webhook_path.encode()):
            raise NotFoundException("no such webhook")
        body = await request.body()
        try:
            reported = webhooks.read(body, request.headers.get(SIGNATURE_HEADER, ""))
        except BadWebhookSignature:
            return problem(
                HTTP_401_UNAUTHORIZED,
                "Bad signature",
                "the crypto-pay-api-signature header does not sign this body",
                "bad_signature",
            )
        if reported is not None:
            await credit(reported)
        return Response({"ok": True})
