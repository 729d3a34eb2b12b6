"""A local Crypto Pay for tests: an HTTP server (aiohttp) speaking the API's JSON shapes
(`{"ok": true, "result": ...}`) for createInvoice, getInvoices, getBalance, transfer (one
transfer per spend id, a repeat answering the first; refused beyond the balance) and
getTransfers, checking the `Crypto-Pay-API-Token` header, and able to refuse (`{"ok": false,
"error": ...}`), answer 500, answer too late, lose a transfer's answer, or be down (`stop`).
It keeps its invoices, lets a test pay or expire one,
and builds the webhook Crypto Pay would send for it, signed as Crypto Pay signs (HMAC-SHA256
of the raw body, keyed with the SHA-256 of the token), for a test to deliver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

TOKEN = "12345:AAfakeCryptoPayTestToken"


@dataclass
class FakeCryptoPayServer:
    token: str = TOKEN
    # "ok", "refuse" (ok: false), "error500", "slow" (answers after `delay` seconds)
    mode: str = "ok"
    delay: float = 5.0
    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Transfers made, by spend id: Crypto Pay makes one transfer per spend id.
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A transfer refused as the API refuses it (e.g. "USER_NOT_FOUND"), or None.
    refuse_transfer: str | None = None
    # How many transfers to make and then answer too late (the answer lost on its way).
    lose_transfer_answers: int = 0
    # Seconds a transfer takes before it is made (a send in flight at the provider).
    transfer_delay: float = 0.0
    # Set: every transfer hangs until it is set (`release`), then is made; never set, the
    # hung requests are never made (a request that never reached Crypto Pay).
    hold_transfers: asyncio.Event | None = None
    # getTransfers ignores `spend_id` and lists every transfer (an API that does not filter).
    ignore_spend_id_filter: bool = False
    # Seconds a createInvoice takes before it answers (within the client's patience).
    create_delay: float = 0.0
    balance: dict[str, str] = field(default_factory=lambda: {"USDT": "0", "TON": "0"})
    # The provider's ids are unique for good; the tests' database outlives one server.
    _ids: Any = field(default_factory=lambda: itertools.count(secrets.randbelow(2**40) + 1))
    _updates: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> FakeCryptoPayServer:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        # Down at once: a request still in flight (a hung transfer) is dropped, not awaited
        # for aiohttp's default minute.
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        """Down: the port refuses connections from now on."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- what the player and the provider do ---------------------------------------------------

    def pay(self, invoice_id: int, **changes: Any) -> dict[str, Any]:
        invoice = self.invoices[invoice_id]
        invoice.update(status="paid", paid_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        invoice.update(changes)
        return invoice

    def expire(self, invoice_id: int) -> None:
        self.invoices[invoice_id]["status"] = "expired"

    def webhook(self, invoice_id: int, *, token: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The `invoice_paid` update for this invoice: the raw body and its headers, signed
        with `token` (default: the app's own, i.e. genuine)."""
        update = {
            "update_id": next(self._updates),
            "update_type": "invoice_paid",
            "request_date": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "payload": self.invoices[invoice_id],
        }
        body = json.dumps(update).encode()
        return body, {"crypto-pay-api-signature": sign(token or self.token, body)}

    # -- the API -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await request.json() if request.can_read_body else {}
        self.calls.append((method, params))
        if request.headers.get("Crypto-Pay-API-Token") != self.token:
            return _error(401, "UNAUTHORIZED")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "error500":
            return web.Response(status=500, text="<html>bad gateway</html>")
        if self.mode == "refuse":
            return _error(400, "AMOUNT_TOO_BIG")
        if method == "createInvoice":
            if self.create_delay:
                await asyncio.sleep(self.create_delay)
            return _ok(self._create(params))
        if method == "getInvoices":
            wanted = {int(i) for i in str(params.get("invoice_ids", "")).split(",") if i}
            items = [i for k, i in self.invoices.items() if not wanted or k in wanted]
            return _ok({"items": items})
        if method == "transfer":
            return await self._transfer(params)
        if method == "getTransfers":
            spend_id = None if self.ignore_spend_id_filter else params.get("spend_id")
            items = [t for k, t in self.transfers.items() if spend_id in {None, k}]
            return _ok({"items": items})
        if method == "getBalance":
            return _ok(
                [
                    {"currency_code": code, "available": amount, "onhold": "0"}
                    for code, amount in self.balance.items()
                ]
            )
        return _error(405, "METHOD_NOT_FOUND")

    async def _transfer(self, params: dict[str, Any]) -> web.Response:
        spend_id = str(params.get("spend_id", ""))
        if not 1 <= len(spend_id) <= 64:
            return _error(400, "SPEND_ID_INVALID")
        if self.transfer_delay:
            await asyncio.sleep(self.transfer_delay)
        if self.hold_transfers is not None:
            await self.hold_transfers.wait()
        made = self.transfers.get(spend_id)
        if made is None:
            # Refusals come after the spend id is known to be new: a repeat of a transfer
            # made answers that transfer, whatever the balance says since.
            if self.refuse_transfer:
                return _error(400, self.refuse_transfer)
            asset, amount = params["asset"], Decimal(str(params["amount"]))
            if Decimal(self.balance.get(asset, "0")) < amount:
                return _error(400, "INSUFFICIENT_FUNDS")
            self.balance[asset] = str(Decimal(self.balance[asset]) - amount)
            made = {
                "transfer_id": next(self._ids),
                "spend_id": spend_id,
                "user_id": int(params["user_id"]),
                "asset": asset,
                "amount": params["amount"],
                "status": "completed",
                "completed_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "comment": params.get("comment", ""),
            }
            self.transfers[spend_id] = made
        if self.lose_transfer_answers:
            self.lose_transfer_answers -= 1
            await asyncio.sleep(self.delay)  # made, but the answer comes after the caller gave up
        return _ok(made)

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        invoice_id = next(self._ids)
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=int(params.get("expires_in", 3600)))
        invoice = {
            "invoice_id": invoice_id,
            "hash": f"IV{invoice_id}",
            "currency_type": "crypto",
            "asset": params["asset"],
            "amount": params["amount"],
            "pay_url": f"https://t.me/CryptoTestnetBot?start=IV{invoice_id}",
            "bot_invoice_url": f"https://t.me/CryptoTestnetBot?start=IV{invoice_id}",
            "status": "active",
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "allow_comments": True,
            "allow_anonymous": False,
            "expiration_date": expires.isoformat().replace("+00:00", "Z"),
            "payload": params.get("payload", ""),
        }
        self.invoices[invoice_id] = invoice
        return invoice


def sign(token: str, body: bytes) -> str:
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, name: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": status, "name": name}}, status=status)
