"""A local Hub88-style operator API for tests: an HTTP server (aiohttp) answering
`POST /operator/generic/v2/game/list` and `.../game/url` as the aggregator would, and first
checking every request's `X-Hub88-Signature` against Croupier's public key (a request not
signed by Croupier, or for another operator id, is refused with 401 as Hub88 refuses it). It
keeps the list it answers (a test changes it), records the URL requests it was asked, and can
answer too late (`slow`), with a 500 (`error500`), with something that is no answer
(`garbage`), or be down (`stop`).

It serves from a thread of its own, on its own event loop: Litestar's test client runs the
app on another loop than the test's and waits for it blocking the test's loop, so a server on
the test's loop would never answer the app's call."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_HEADER = "X-Hub88-Signature"


@dataclass
class FakeAggregatorOperatorServer:
    croupier_key: rsa.RSAPublicKey  # what it verifies our signatures with
    operator_id: int = 4242
    games: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # ok, slow, error500, garbage
    delay: float = 5.0
    asked: list[dict[str, Any]] = field(default_factory=list)  # the game/url bodies
    refused: int = 0  # requests whose signature or operator id was wrong
    _runner: web.AppRunner | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    url: str = ""

    async def start(self) -> FakeAggregatorOperatorServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._serve(), self._loop))
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/operator/generic/v2/game/list", self._list)
        app.router.add_post("/operator/generic/v2/game/url", self._url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Down: the port refuses connections from now on."""
        if self._runner is not None and self._loop is not None:
            runner, self._runner = self._runner, None
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop)
            )

    async def close(self) -> None:
        await self.stop()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()
            self._loop = None

    def game(self, code: str, name: str, **fields: Any) -> dict[str, Any]:
        """A game/list entry in Hub88's shape (fields Croupier ignores included)."""
        entry = {
            "game_code": code,
            "name": name,
            "category": "Video Slots",
            "product": "Fake Studio",
            "enabled": True,
            "url_thumb": f"https://cdn.example/{code}.png",
            "platforms": ["GPL_DESKTOP", "GPL_MOBILE"],
            "freebet_support": False,
            "blocked_countries": [],
            **fields,
        }
        self.games.append(entry)
        return entry

    async def _read(self, request: web.Request) -> dict[str, Any] | None:
        body = await request.read()
        try:
            signature = base64.b64decode(request.headers.get(SIGNATURE_HEADER, ""), validate=True)
            self.croupier_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
            parsed = json.loads(body)
        except (InvalidSignature, ValueError):
            self.refused += 1
            return None
        if parsed.get("operator_id") != self.operator_id:
            self.refused += 1
            return None
        return parsed

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "error500":
            return web.json_response({"error": "internal"}, status=500)
        if self.mode == "garbage":
            return web.Response(text="<html>maintenance</html>", content_type="text/html")
        return None

    async def _list(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if body is None:
            return web.json_response({"error": "RS_ERROR_INVALID_SIGNATURE"}, status=401)
        return await self._misbehave() or web.json_response(self.games)

    async def _url(self, request: web.Request) -> web.Response:
        body = await self._read(request)
        if body is None:
            return web.json_response({"error": "RS_ERROR_INVALID_SIGNATURE"}, status=401)
        self.asked.append(body)
        misbehaving = await self._misbehave()
        if misbehaving is not None:
            return misbehaving
        return web.json_response(
            {"url": f"https://games.example/launch/{body['game_code']}?t={body['token']}"}
        )
