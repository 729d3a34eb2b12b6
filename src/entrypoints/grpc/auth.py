"""API-key authentication and per-service authorisation for every RPC.

Callers send `x-api-key: crp_…` in metadata. Health checks and reflection (served outside
production only) are open (probes and tooling must work without a key). The authenticated key
travels to handlers in a context variable, so the seamless wallet knows which provider is
calling."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import grpc

from application.access import Authenticate
from domain.access import ApiKey
from entrypoints.grpc.handlers import inner_unary, rebuild, run_streaming

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


class ApiKeyInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, authenticate: Authenticate) -> None:
        self._authenticate = authenticate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = details.method
        handler = await continuation(details)
        if handler is None or method.startswith(_OPEN_PREFIXES):
            return handler
        service = _METHOD_SCOPES.get(method) or _SERVICES.get(method.lstrip("/").split("/", 1)[0])
        presented = dict(details.invocation_metadata or ()).get(METADATA_KEY)
        if not isinstance(presented, str):
            return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED, "send an API key")
        key = await self._authenticate(presented)
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
        return _with_key(handler, key)


def _refusal(
    handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str
) -> grpc.RpcMethodHandler:
    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)

    return rebuild(handler, unary, streaming)


def _with_key(handler: grpc.RpcMethodHandler, key: ApiKey) -> grpc.RpcMethodHandler:
    # The handler runs in its own task; setting the variable inside that task scopes it to
    # this call.
    inner = inner_unary(handler)

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        current_key.set(key)
        return await inner(request, context)

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> None:
        current_key.set(key)
        await run_streaming(handler, request, context)

    return rebuild(handler, unary, streaming)
