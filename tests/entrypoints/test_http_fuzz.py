"""Property-based fuzzing of the admin API from its own OpenAPI document (schemathesis):
no input may produce a 5xx, every documented response must match its schema, and a refusal
stays small (it says what is wrong; it does not echo the request back)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from adapters.tokens import JwtTokens
from application.staff import Actor, CreateStaff
from domain.staff import Role
from entrypoints.composition.containers import make_http_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.http.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def endpoints(servers):
    return Endpoints(servers.database_url, servers.redis_url, False, False)


@pytest.fixture(scope="module")
def admin_token(endpoints, http_settings):
    async def make() -> str:
        container = make_http_container(http_settings, endpoints)
        try:
            async with container() as scope:
                member = await (await scope.get(CreateStaff))(
                    f"fuzzer-{datetime.now(UTC).timestamp():.0f}",
                    "fuzzing all the things",
                    Role.ADMIN,
                    Actor("tests"),
                )
        finally:
            await container.close()
        assert http_settings.secret_key is not None
        return JwtTokens(http_settings.secret_key.encode()).issue(member, datetime.now(UTC))[0]

    return asyncio.run(make())


@pytest.fixture(scope="module")
def api_schema(endpoints, http_settings):
    app = create_app(make_http_container(http_settings, endpoints))
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app)


async def _forget_failed_logins(redis_url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        async for key in client.scan_iter("croupier:login-fail:*"):
            await client.delete(key)
    finally:
        await client.aclose()


@pytest.fixture
def forget_failed_logins(servers):
    """The fuzzer logs in with nonsense many times from the test client's one address; the
    throttle would then (rightly) lock that address out for every later test."""
    yield
    asyncio.run(_forget_failed_logins(servers.redis_url))


# A bad request's answer is a short problem details document: a few hundred bytes, bounded
# however large the request was (issue 18: refusals quote at most a short excerpt).
REFUSAL_LIMIT = 4096


def a_small_refusal(ctx: schemathesis.CheckContext, response, case) -> bool | None:
    if 400 <= response.status_code < 500 and len(response.content) > REFUSAL_LIMIT:
        raise AssertionError(
            f"a {response.status_code} of {len(response.content)} bytes: {response.text[:200]}"
        )
    return None


@pytest.mark.usefixtures("forget_failed_logins")
def test_no_server_errors_and_responses_match_the_schema(api_schema, admin_token):
    # Driven by hand rather than by schemathesis' pytest plugin, which does not support the
    # pytest version in use; each operation gets its own Hypothesis run.
    headers = {"Authorization": f"Bearer {admin_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.call_and_validate(
                headers=headers,
                checks=[not_a_server_error, response_schema_conformance, a_small_refusal],
            )

        try:
            exercise()
        except Exception as error:
            raise AssertionError(f"{operation.label}: {error}") from error


HUGE_TEXT = "9" * 5_000 + "x" * 100_000  # digits that overflow, then text nobody needs back
HUGE_NUMBER = 10**400


def _huge(parameters) -> dict[str, object]:
    return {p.name: HUGE_TEXT for p in parameters}


@pytest.mark.usefixtures("forget_failed_logins")
def test_huge_inputs_on_every_route_get_a_small_refusal(api_schema, admin_token):
    """Every operation with every path and query parameter 105 kB long and a JSON body of huge
    strings and a 400-digit number: never a 5xx, and the answer stays small."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    body = {"name": HUGE_TEXT, "amount": HUGE_NUMBER, "reason": HUGE_TEXT, "game": HUGE_TEXT}
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        case = operation.Case(
            path_parameters=_huge(operation.path_parameters),
            query=_huge(operation.query),
            body=body if operation.body else schemathesis.core.NOT_SET,
            media_type="application/json" if operation.body else None,
        )
        response = case.call(headers=headers)
        label = f"{operation.label}: {response.status_code}"
        assert response.status_code < 500, f"{label} {response.text[:300]}"
        if response.status_code >= 400:
            assert len(response.content) <= REFUSAL_LIMIT, f"{label}, {len(response.content)} B"
        checked += 1
    assert checked > 10
