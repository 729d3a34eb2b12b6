"""The grpc.aio server for internal services."""

from __future__ import annotations

import grpc
from dishka import AsyncContainer
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from entrypoints.settings import Settings

GRACE_SECONDS = 10.0


class GrpcServer:
    """Owns the server and its health status; `stop` drains in-flight calls first."""

    def __init__(self, container: AsyncContainer, settings: Settings) -> None:
        self._container = container
        self._settings = settings
        self.health = health.aio.HealthServicer()
        self.server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        services = [
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ]
        reflection.enable_server_reflection(services, self.server)
        self.port = self.server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {settings.grpc_host}:{settings.grpc_port}")

    @property
    def address(self) -> str:
        return f"{self._settings.grpc_host}:{self.port}"

    async def start(self) -> None:
        await self.server.start()
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(GRACE_SECONDS)
