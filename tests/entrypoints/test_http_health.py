from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(servers):
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(load_settings({}), endpoints)
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client


async def test_live_and_ready(client):
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": True, "redis": True}


async def test_unknown_route_is_problem_details_not_a_trace(client):
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert "Traceback" not in response.text


async def test_openapi_document_is_served(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/health/ready" in schema["paths"]


async def test_ready_reports_unavailable_database(servers):
    endpoints = Endpoints("postgresql://nobody@127.0.0.1:1/none", servers.redis_url, False, False)
    container = make_http_container(load_settings({}), endpoints)
    async with AsyncTestClient(app=create_app(container)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["database"] is False
