"""Hub88-style operator API (docs/aggregators.md, "Launching a game"): the games list and a game
URL, asked by Croupier of each configured aggregator.

Every call is one JSON `POST` to `{base}/operator/generic/v2/{game/list | game/url}` with our
`operator_id` in the body and the body's RSA-SHA256 signature (PKCS#1 v1.5, base64) in
`X-Hub88-Signature`, made with the same private key that signs our wallet's answers
(`RsaAggregatorSignatures.sign`). Over aiohttp, as the Crypto Pay client (already in the lock
through aiogram), with a total timeout per call. Any failure — not configured, a timeout, a
refused connection, a status other than 200, a body that is not the expected JSON, a URL that
is not http(s) — is `AggregatorUnavailable`: the launch is refused politely and nothing was
written. One entry of a games list Croupier cannot keep (a code over 100 characters, a name
over 200) is skipped and logged; the rest of the list is kept."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from application.ports import AggregatorSignatures
from domain.aggregator_games import (
    AggregatorUnavailable,
    GameUrlRequest,
    ListedGame,
    check_game_url,
)
from domain.errors import DomainError

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub88-Signature"
GAME_LIST = "/operator/generic/v2/game/list"
GAME_URL = "/operator/generic/v2/game/url"
# A games list is a few thousand entries at most; an answer beyond this is no list.
_MAX_ANSWER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class OperatorEndpoint:
    base_url: str  # e.g. https://api.hub88.io, without a trailing slash
    operator_id: int


class WireGame(msgspec.Struct, kw_only=True):
    """The fields of a game/list entry Croupier reads; the others (thumbnails, platforms,
    blocked countries, …) are ignored."""

    game_code: str
    name: str = ""
    category: str = ""
    product: str = ""
    enabled: bool = True


class WireUrl(msgspec.Struct, kw_only=True):
    url: str


class Hub88OperatorApi:
    """`AggregatorApi` over HTTP. One aiohttp session per process, opened at the first call
    and closed by `close`."""

    def __init__(
        self,
        endpoints: Mapping[str, OperatorEndpoint],
        signatures: AggregatorSignatures,
        *,
        timeout_s: float = 5.0,
    ) -> None:
        self._endpoints = dict(endpoints)
        self._signatures = signatures
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    def knows(self, aggregator: str) -> bool:
        return aggregator in self._endpoints

    def configured(self) -> Sequence[str]:
        return sorted(self._endpoints)

    async def games(self, aggregator: str) -> Sequence[ListedGame]:
        endpoint = self._endpoint(aggregator)
        raw = await self._call(endpoint, GAME_LIST, {"operator_id": endpoint.operator_id})
        try:
            wire = msgspec.json.decode(raw, type=list[WireGame])
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise AggregatorUnavailable(
                f"{aggregator}: the games list is of an unexpected shape"
            ) from None
        listed = []
        for g in wire:
            try:
                listed.append(
                    ListedGame(g.game_code, g.name or g.game_code, g.category, g.product, g.enabled)
                )
            except DomainError as error:  # one entry Croupier cannot keep: the others still are
                log.warning("%s: a games list entry is skipped: %s", aggregator, error)
        return listed

    async def game_url(self, aggregator: str, request: GameUrlRequest) -> str:
        endpoint = self._endpoint(aggregator)
        # Only what Croupier knows: the optional fields it has no value for (sub_partner_id,
        # ip, country, deposit_url, meta) are left out rather than sent as null.
        body: dict[str, Any] = {
            "user": request.user,
            "token": request.token,
            "platform": request.platform,
            "operator_id": endpoint.operator_id,
            "lang": request.lang,
            "game_code": request.game_code,
            "currency": request.currency,
        }
        if request.lobby_url:
            body["lobby_url"] = request.lobby_url
        raw = await self._call(endpoint, GAME_URL, body)
        try:
            url = msgspec.json.decode(raw, type=WireUrl).url
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise AggregatorUnavailable(f"{aggregator}: the game URL answer is no answer") from None
        return check_game_url(url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _endpoint(self, aggregator: str) -> OperatorEndpoint:
        endpoint = self._endpoints.get(aggregator)
        if endpoint is None:
            raise AggregatorUnavailable(f"no operator API is configured for {aggregator!r}")
        return endpoint

    async def _call(self, endpoint: OperatorEndpoint, path: str, body: Mapping[str, Any]) -> bytes:
        import aiohttp  # here: a process that never launches a game never imports it for this

        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout_s)
            )
        # The exact bytes sent are the bytes signed.
        payload = msgspec.json.encode(body)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: self._signatures.sign(payload),
        }
        try:
            async with self._session.post(
                endpoint.base_url + path, data=payload, headers=headers
            ) as response:
                if response.status != 200:
                    raise AggregatorUnavailable(f"{path}: HTTP {response.status}")
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > _MAX_ANSWER_BYTES:
                        raise AggregatorUnavailable(f"{path}: an answer over {size} bytes")
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise AggregatorUnavailable(f"{path}: {type(error).__name__}") from None
        return b"".join(chunks)
