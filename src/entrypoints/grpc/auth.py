"""API-key authentication and per-service authorisation for every RPC.

Callers send `x-api-key: crp_…` in metadata. Health checks and reflection (served outside
production only) are open (probes and tooling must work without a key). The authenticated key
travels to handlers in a context variable, so the seamless wallet knows which provider is
calling: it is set for the call when its key is accepted, and the method's handler is
served as it is (no wrapper built a call)."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import grpc

from application.access import Authenticate
from domain.access import ApiKey
from entrypoints.grpc.handlers import rebuild

METADATA_KEY = "x-api-key"
_SERVICES = {
    "croupier.v1.WalletService": "wallet",
    "croupier.v1.BettingService": "betting",
    "croupier.v1.SeamlessWalletService": "seamless",
    "croupier.v1.PlayersService": "players",
    # Opening a mines game places a bet: the betting scope, as PlaceBet.
    "croupier.v1.MinesService": "betting",
    # Crash bets are bets: a key that places bets may place them.
    "croupier.v1.CrashService": "betting",
}
# Methods whose scope is not their service's: settling a Telegram dice bet takes the dice
# value from the caller, so it is granted apart from placing bets; making players is granted
# apart from recording what they accepted.
_METHOD_SCOPES = {
    "/croupier.v1.BettingService/SettleBet": "dice",
    "/croupier.v1.PlayersService/EnsurePlayer": "register",
}
_OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

current_key: ContextVar[ApiKey] = ContextVar("current_key")


# How long a presented key, once authenticated, is taken without checking it again (its
# format, its hash, its expiry, the store's cached row). The store caches a row for
# `CACHE_SECONDS` (4 s): together a revoked key stops working within 5 s in every process.
AUTHENTICATED_SECONDS = 1.0
# The most authenticated keys remembered at once; only keys that authenticated are, so this is
# reached only by a deployment with that many live keys (then the memo starts again).
_REMEMBERED = 1024


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates a call's key and checks the method's scope against its grant. A key
    that authenticated is remembered for `AUTHENTICATED_SECONDS` (never past its expiry), so a
    busy caller's calls do not each parse, hash and compare its secret again."""

    def __init__(
        self, authenticate: Authenticate, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._authenticate = authenticate
        self._monotonic = monotonic
        self._authenticated: dict[str, tuple[float, ApiKey]] = {}

    async def _key(self, presented: str) -> ApiKey | None:
        now = self._monotonic()
        known = self._authenticated.get(presented)
        if known is not None and now < known[0]:
            return known[1]
        key = await self._authenticate(presented)
        if key is None:
            self._authenticated.pop(presented, None)
            return None
        until = now + AUTHENTICATED_SECONDS
        if key.expires_at is not None:
            until = min(until, now + (key.expires_at - datetime.now(UTC)).total_seconds())
        if len(self._authenticated) >= _REMEMBERED:
            self._authenticated.clear()
        self._authenticated[presented] = (until, key)
        return key

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = details.method
        handler = await continuation(details)
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        service = _scope(method)
        presented = dict(details.invocation_metadata or ()).get(METADATA_KEY)
        if not isinstance(presented, str):
            return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED, "send an API key")
        key = await self._key(presented)
        if key is None:
            return _refusal(
                handler, grpc.StatusCode.UNAUTHENTICATED, "unknown, revoked or expired API key"
            )
        if service is None or not key.may_call(service):
            return _refusal(
                handler,
                grpc.StatusCode.PERMISSION_DENIED,
                f"key {key.name!r} may not call {service or method}",
            )
        # Accepted: the method's own handler, unwrapped. grpc.aio runs `intercept_service` and
        # then the handler in one task of this call's own, so the key set here is this call's
        # alone (proven over a real channel with keys racing on one method); nothing of the
        # call is captured in a handler that another call could be handed.
        current_key.set(key)
        return handler


@functools.cache
def _scope(method: str) -> str | None:
    """The scope a method needs: fixed by the code, so found once per method (the cache is
    bounded by the server's methods: an unknown one never gets here). The key's grant is still
    checked on every call, against the key as authenticated (see `AUTHENTICATED_SECONDS`)."""
    return _METHOD_SCOPES.get(method) or _SERVICES.get(method.lstrip("/").split("/", 1)[0])


def _refusal(
    handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str
) -> grpc.RpcMethodHandler:
    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    return rebuild(handler, unary, streaming)
