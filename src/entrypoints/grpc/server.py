"""The grpc.aio server for internal services: wallet, betting, seamless wallet, players, plus
the standard health service, and reflection outside production."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from dishka import AsyncContainer
from dishka.integrations.grpcio import DishkaAioInterceptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from application.access import Authenticate
from croupier.v1 import (
    betting_pb2,
    betting_pb2_grpc,
    crash_pb2,
    crash_pb2_grpc,
    mines_pb2,
    mines_pb2_grpc,
    players_pb2,
    players_pb2_grpc,
    seamless_pb2,
    seamless_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from entrypoints.grpc import method_lookup
from entrypoints.grpc.auth import ApiKeyInterceptor
from entrypoints.grpc.betting import BettingServicer
from entrypoints.grpc.crash import CrashServicer
from entrypoints.grpc.mines import MinesServicer
from entrypoints.grpc.observability import ObservabilityInterceptor
from entrypoints.grpc.players import PlayersServicer
from entrypoints.grpc.seamless import SeamlessServicer
from entrypoints.grpc.undecodable import UndecodableRequestInterceptor
from entrypoints.grpc.wallet import WalletServicer
from entrypoints.settings import Environment, Settings

GRACE_SECONDS = 10.0
SERVICES = (
    wallet_pb2.DESCRIPTOR.services_by_name["WalletService"].full_name,
    betting_pb2.DESCRIPTOR.services_by_name["BettingService"].full_name,
    seamless_pb2.DESCRIPTOR.services_by_name["SeamlessWalletService"].full_name,
    players_pb2.DESCRIPTOR.services_by_name["PlayersService"].full_name,
    mines_pb2.DESCRIPTOR.services_by_name["MinesService"].full_name,
    crash_pb2.DESCRIPTOR.services_by_name["CrashService"].full_name,
)


# The services whose methods grpc's core matches itself ("registered methods"): those that
# place and settle bets, called at a game's rate. The others (wallet operations, players,
# health, reflection: a person's or a probe's rate) are found through their generic handler
# instead. grpc.aio's serving loop keeps one pending request per registered method and, for
# every call it accepts, waits on all of them at once (`asyncio.wait`, a done callback added
# to and removed from each): ~0.37 µs a registered method a call; with every method
# registered, 28 and the generic request, ~14.4 µs a call, with these 19 (and development's
# reflection) ~11.5. A call of a method that is not registered is found by a lookup among the
# generic handlers instead (bench/README.md, issue 19).
REGISTERED_SERVICES = frozenset(
    {
        betting_pb2.DESCRIPTOR.services_by_name["BettingService"].full_name,
        seamless_pb2.DESCRIPTOR.services_by_name["SeamlessWalletService"].full_name,
        mines_pb2.DESCRIPTOR.services_by_name["MinesService"].full_name,
        crash_pb2.DESCRIPTOR.services_by_name["CrashService"].full_name,
    }
)


class _Registering:
    """The server as the generated `add_*_to_server` functions see it: every service's
    generic handler is added (any method is found through it), and a service's methods are
    registered with the core only when it is one of `REGISTERED_SERVICES`."""

    def __init__(self, server: grpc.aio.Server) -> None:
        self._server = server

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self._server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        if service in REGISTERED_SERVICES:
            self._server.add_registered_method_handlers(service, handlers)


class _NoReflection(reflection_pb2_grpc.ServerReflectionServicer):  # type: ignore[misc]
    async def ServerReflectionInfo(
        self, request_iterator: Any, context: grpc.aio.ServicerContext
    ) -> None:
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED, "reflection is off in production; use the .proto files"
        )


class _DishkaForKnownMethods(DishkaAioInterceptor):
    """dishka's interceptor wraps whatever the lookup returns, and for an unknown method that
    is None: the call then failed UNKNOWN with an AttributeError traceback in the log. An
    unknown method is passed on as None, so grpc answers UNIMPLEMENTED itself. The `unscoped`
    methods inject nothing (they use what the process holds once): no scope is opened for
    them, which on the betting road was a container per call. dishka's wrapper depends on
    the method's handler alone (the scope opens when the call runs), so it is built once per
    method, not per call."""

    def __init__(self, container: AsyncContainer, unscoped: frozenset[str]) -> None:
        super().__init__(container)
        self._unscoped = unscoped
        self._scoped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None or details.method in self._unscoped:
            return handler
        known = self._scoped.get(details.method)
        if known is not None and known[0] is handler:
            return known[1]

        async def found(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
            return handler

        scoped = await super().intercept_service(found, details)
        self._scoped[details.method] = (handler, scoped)
        return scoped


class GrpcServer:
    """Owns the server and its health status; `stop` drains in-flight calls first."""

    def __init__(
        self, container: AsyncContainer, settings: Settings, authenticate: Authenticate
    ) -> None:
        self._settings = settings
        self.health = health.aio.HealthServicer()
        # Each call's method lookup without grpc.aio's reference cycle (method_lookup.py).
        method_lookup.install()
        self.server = grpc.aio.server(
            # Observability first, so a refused call has its request id, metrics and access
            # line too; then authentication: an unauthenticated call never opens a dishka scope,
            # nor learns whether its bytes parsed. Undecodable bytes are refused before a scope.
            # Several processes share the port only when asked to (`CROUPIER_GRPC_PROCESSES`);
            # otherwise a second server started on a taken port fails instead of silently
            # taking half of its connections (grpc turns SO_REUSEPORT on by default).
            options=[("grpc.so_reuseport", 1 if settings.grpc_processes > 1 else 0)],
            interceptors=[
                ObservabilityInterceptor(echo_request_id=settings.grpc_echo_request_id),
                ApiKeyInterceptor(authenticate),
                UndecodableRequestInterceptor(),
                _DishkaForKnownMethods(
                    container, BettingServicer.UNSCOPED | CrashServicer.UNSCOPED
                ),
            ],
        )
        server: Any = _Registering(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        wallet_pb2_grpc.add_WalletServiceServicer_to_server(WalletServicer(), server)
        betting_pb2_grpc.add_BettingServiceServicer_to_server(BettingServicer(container), server)
        seamless_pb2_grpc.add_SeamlessWalletServiceServicer_to_server(SeamlessServicer(), server)
        players_pb2_grpc.add_PlayersServiceServicer_to_server(PlayersServicer(), server)
        mines_pb2_grpc.add_MinesServiceServicer_to_server(MinesServicer(), server)
        crash_pb2_grpc.add_CrashServiceServicer_to_server(CrashServicer(container), server)
        # Reflection hands anyone who connects a map of every method and message: tooling's
        # convenience in development, off in production (clients there use the .proto files),
        # where its method answers UNIMPLEMENTED saying so.
        if settings.environment is Environment.PRODUCTION:
            reflection_pb2_grpc.add_ServerReflectionServicer_to_server(_NoReflection(), server)
        else:
            reflection.enable_server_reflection(
                (
                    *SERVICES,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ),
                self.server,
            )
        address = f"{settings.grpc_host}:{settings.grpc_port}"
        credentials = _credentials(settings)
        try:
            if credentials is None:
                self.port = self.server.add_insecure_port(address)
            else:
                self.port = self.server.add_secure_port(address, credentials)
        except RuntimeError as error:  # grpc's "Failed to bind": in use, or not an address
            raise OSError(f"cannot listen on {address}") from error
        if self.port == 0:
            raise OSError(f"cannot listen on {address}")

    @property
    def address(self) -> str:
        return f"{self._settings.grpc_host}:{self.port}"

    @property
    def tls(self) -> bool:
        return self._settings.grpc_tls_cert is not None

    async def start(self) -> None:
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        for service in SERVICES:
            await self.health.set(service, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(GRACE_SECONDS)


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS when a certificate is configured; mutual TLS when a client CA is too."""
    if settings.grpc_tls_cert is None or settings.grpc_tls_key is None:
        return None
    pair = (_read(settings.grpc_tls_key), _read(settings.grpc_tls_cert))
    client_ca = _read(settings.grpc_tls_client_ca) if settings.grpc_tls_client_ca else None
    return grpc.ssl_server_credentials(
        [pair], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def _read(path: Path) -> bytes:
    return path.read_bytes()
