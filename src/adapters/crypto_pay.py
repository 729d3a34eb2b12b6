"""Crypto Pay (the CryptoBot app API, https://help.crypt.bot/crypto-pay-api): a thin client of
the calls the deposits and payouts need, and the reader of its signed webhooks.

Our own over aiohttp (already in the lock through aiogram) rather than `aiocryptopay`: that
library reads amounts into floats (`amount: Union[int, float]`), which money here never is,
and pins `certifi<2024`; five calls and one signature do not need it. Amounts travel as the
decimal strings the API uses and are parsed exactly against the asset's minor unit.

Every call is one POST of JSON to `{host}/api/{method}` with the token in
`Crypto-Pay-API-Token`, answered `{"ok": true, "result": ...}` or `{"ok": false, "error":
{"code": ..., "name": ...}}`. A refusal is `CryptoPayRefused` (nothing happened); a timeout,
a connection failure, a 5xx or a body that is no answer is `CryptoPayUnavailable` (the
outcome is unknown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from application.ports import (
    BadWebhookSignature,
    CryptoPayRefused,
    CryptoPayUnavailable,
    InvoiceRequest,
)
from domain.crypto_pay import (
    ProviderInvoice,
    ProviderTransfer,
    decimal_text,
    webhook_signature_valid,
)
from domain.money import Money

if TYPE_CHECKING:
    import aiohttp

_T = TypeVar("_T")

TOKEN_HEADER = "Crypto-Pay-API-Token"  # noqa: S105 - a header name  # nosec B105
SIGNATURE_HEADER = "crypto-pay-api-signature"
MAINNET = "https://pay.crypt.bot"
TESTNET = "https://testnet-pay.crypt.bot"
# createInvoice's `expires_in` bounds (seconds).
_MAX_EXPIRES_IN = 2_678_400


_NULL = msgspec.Raw(b"null")


class WireInvoice(msgspec.Struct, kw_only=True):
    invoice_id: int
    status: str
    asset: str = ""
    amount: str = ""
    payload: str = ""
    pay_url: str = ""
    bot_invoice_url: str = ""
    paid_asset: str = ""
    paid_amount: str = ""
    paid_at: datetime | None = None
    expiration_date: datetime | None = None

    def provider_invoice(self) -> ProviderInvoice:
        return ProviderInvoice(
            invoice_id=self.invoice_id,
            status=self.status,
            asset=self.asset,
            amount=self.amount,
            payload=self.payload,
            pay_url=self.bot_invoice_url or self.pay_url,
            paid_asset=self.paid_asset,
            paid_amount=self.paid_amount,
            paid_at=self.paid_at,
            expiration_date=self.expiration_date,
        )


class WireError(msgspec.Struct, kw_only=True):
    code: int | None = None
    name: str = "unknown"


class WireAnswer(msgspec.Struct, kw_only=True):
    ok: bool
    # msgspec.Raw takes no union with None: an absent result reads as JSON null.
    result: msgspec.Raw = _NULL
    error: WireError | None = None


class WireInvoices(msgspec.Struct, kw_only=True):
    items: list[WireInvoice] = msgspec.field(default_factory=list)


class WireBalance(msgspec.Struct, kw_only=True):
    currency_code: str
    available: str


class WireTransfer(msgspec.Struct, kw_only=True):
    transfer_id: int
    user_id: int
    asset: str
    amount: str
    status: str
    spend_id: str = ""

    def provider_transfer(self, spend_id: str) -> ProviderTransfer:
        return ProviderTransfer(
            transfer_id=self.transfer_id,
            spend_id=self.spend_id or spend_id,
            user_id=self.user_id,
            asset=self.asset,
            amount=self.amount,
            status=self.status,
        )


class WireTransfers(msgspec.Struct, kw_only=True):
    items: list[WireTransfer] = msgspec.field(default_factory=list)


class WireUpdate(msgspec.Struct, kw_only=True):
    update_type: str
    payload: msgspec.Raw = _NULL


class CryptoPayClient:
    """The app's API calls (`CryptoPayGateway`). One aiohttp session per process, opened at
    the first call and closed by `close`."""

    def __init__(self, token: str, host: str = MAINNET, *, timeout_s: float = 10.0) -> None:
        self._token = token
        self._base = host.rstrip("/") + "/api/"
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def create_invoice(self, request: InvoiceRequest) -> ProviderInvoice:
        expires_in = max(1, min(_MAX_EXPIRES_IN, int(request.expires_in.total_seconds())))
        params: dict[str, Any] = {
            "currency_type": "crypto",
            "asset": request.amount.currency.code,
            "amount": decimal_text(request.amount),
            "payload": request.payload,
            "expires_in": expires_in,
            "allow_anonymous": False,
        }
        if request.description:
            params["description"] = request.description[:1024]
        raw = await self._call("createInvoice", params)
        return self._decode(raw, WireInvoice).provider_invoice()

    async def invoices(self, invoice_ids: Sequence[int]) -> Sequence[ProviderInvoice]:
        if not invoice_ids:
            return []
        params = {"invoice_ids": ",".join(str(i) for i in invoice_ids), "count": 1000}
        raw = await self._call("getInvoices", params)
        return [item.provider_invoice() for item in self._decode(raw, WireInvoices).items]

    async def balances(self) -> Mapping[str, str]:
        raw = await self._call("getBalance", {})
        return {b.currency_code: b.available for b in self._decode(raw, list[WireBalance])}

    async def transfer(
        self, user_id: int, amount: Money, spend_id: str, comment: str = ""
    ) -> ProviderTransfer:
        params: dict[str, Any] = {
            "user_id": user_id,
            "asset": amount.currency.code,
            "amount": decimal_text(amount),
            "spend_id": spend_id,
            "disable_send_notification": False,
        }
        if comment:
            params["comment"] = comment[:1024]
        raw = await self._call("transfer", params)
        return self._decode(raw, WireTransfer).provider_transfer(spend_id)

    async def transfer_by_spend_id(self, spend_id: str) -> ProviderTransfer | None:
        raw = await self._call("getTransfers", {"spend_id": spend_id, "count": 1})
        items = self._decode(raw, WireTransfers).items
        # Only a transfer that names this spend id is ours: an answer that ignored the filter
        # must not make another transfer pass for this payout. Nor may it pass for "none
        # made": a filtered answer holds ours or nothing, so other transfers alone mean the
        # filter was not applied, and whether ours exists cannot be told from them.
        found = [t for t in items if t.spend_id == spend_id]
        if not found and items:
            raise CryptoPayUnavailable(
                "getTransfers answered transfers of other spend ids: it did not filter by "
                "spend_id, so it cannot tell whether this one was made"
            )
        return found[0].provider_transfer(spend_id) if found else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, params: Mapping[str, Any]) -> msgspec.Raw:
        import aiohttp  # here: a process without the rail never imports it for this

        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                headers={TOKEN_HEADER: self._token},
            )
        try:
            async with self._session.post(self._base + method, json=dict(params)) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise CryptoPayUnavailable(f"{method}: {type(error).__name__}") from None
        try:
            answer = msgspec.json.decode(body, type=WireAnswer)
        except msgspec.DecodeError:
            raise CryptoPayUnavailable(f"{method}: HTTP {status}, not an answer") from None
        if answer.ok and bytes(answer.result) != b"null":
            return answer.result
        if status >= 500 or answer.error is None:
            raise CryptoPayUnavailable(f"{method}: HTTP {status}")
        raise CryptoPayRefused(answer.error.name[:200], answer.error.code)

    @staticmethod
    def _decode(raw: msgspec.Raw, kind: type[_T]) -> _T:
        try:
            return msgspec.json.decode(raw, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise CryptoPayUnavailable("an answer of an unexpected shape") from None


class CryptoPayWebhookReader:
    """`CryptoPayWebhooks`: the signature on the raw body first, then the JSON."""

    def __init__(self, token: str) -> None:
        self._token = token

    def read(self, body: bytes, signature: str) -> ProviderInvoice | None:
        if not signature or not webhook_signature_valid(self._token, body, signature):
            raise BadWebhookSignature("the webhook's signature is not Crypto Pay's")
        try:
            update = msgspec.json.decode(body, type=WireUpdate)
            if update.update_type != "invoice_paid" or bytes(update.payload) == b"null":
                return None
            return msgspec.json.decode(update.payload, type=WireInvoice).provider_invoice()
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
