from __future__ import annotations

import secrets

import grpc
import pytest

from adapters.clock import SystemClock
from adapters.postgres.api_keys import SqlApiKeyStore
from application.access import Authenticate, IssueApiKey
from entrypoints.grpc.server import GrpcServer
from entrypoints.infrastructure import Endpoints
from entrypoints.ioc import make_grpc_container
from entrypoints.settings import Settings


@pytest.fixture(scope="session")
def grpc_settings(tmp_path_factory) -> Settings:
    return Settings(
        grpc_host="127.0.0.1",
        grpc_port=0,  # any free port
        seed_key=secrets.token_bytes(32),
        house_shards=4,
        data_dir=tmp_path_factory.mktemp("grpc"),
    )


@pytest.fixture(scope="session")
async def grpc_server(servers, grpc_settings):
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_grpc_container(grpc_settings, endpoints)
    server = GrpcServer(container, grpc_settings, await container.get(Authenticate))
    await server.start()
    yield server
    await server.stop()
    await container.close()


@pytest.fixture(scope="session")
async def issue_key(engine):
    issue = IssueApiKey(SqlApiKeyStore(engine), SystemClock())

    async def make(*services: str, name: str | None = None) -> str:
        issued = await issue(name or f"svc-{secrets.token_hex(4)}", frozenset(services))
        return issued.plaintext

    return make


@pytest.fixture
async def channel(grpc_server):
    async with grpc.aio.insecure_channel(grpc_server.address) as channel:
        yield channel
