"""The two outer interceptors of the gRPC door (observability, API key) in-process, no server:
`intercept_service` and the handed-out behaviour, a call, over a do-nothing handler, with an
in-memory key store and a stand-in context (its `invocation_metadata()` returns a constant
tuple; grpc.aio's converts the call's metadata, ~1.2 µs). The echo is off and the access
logger has no handler, so what is timed is the interceptors' own Python.

    .venv/bin/python bench/door_steps.py
    # another commit's code: export it (`bench/door_cost.py --ref main` leaves it in
    # bench/.data/src-<hash>/src), then
    PYTHONPATH=bench/.data/src-<hash>/src .venv/bin/python bench/door_steps.py
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import grpc

from application.access import Authenticate
from domain.access import ApiKey, hash_secret
from entrypoints.grpc.auth import ApiKeyInterceptor
from entrypoints.grpc.observability import ObservabilityInterceptor

SECRET = "s" * 43
KEY = ApiKey(
    "d00b0e0c0001", "bench", hash_secret(SECRET), frozenset({"betting"}), datetime.now(UTC)
)
METADATA = (
    ("x-api-key", f"crp_{KEY.key_id}_{SECRET}"),
    ("x-request-id", "req-1"),
    ("user-agent", "grpc-python"),
)
CALLS = 50_000


class _Store:
    async def find(self, key_id: str) -> ApiKey | None:
        return KEY


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class _Details(grpc.HandlerCallDetails):  # type: ignore[misc]
    method = "/croupier.v1.BettingService/GetBet"
    invocation_metadata = METADATA


class _Context:
    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return METADATA

    async def send_initial_metadata(self, metadata: Any) -> None:
        return None

    def code(self) -> None:
        return None

    def time_remaining(self) -> None:
        return None


async def _noop(request: Any, context: Any) -> None:
    return None


async def main() -> None:
    handler = grpc.unary_unary_rpc_method_handler(_noop)
    try:
        from entrypoints.settings import RequestIdEcho

        off: Any = RequestIdEcho.OFF
    except ImportError:  # a tree from before the three modes: the setting was a boolean
        off = False
    observability = ObservabilityInterceptor(echo_request_id=off)
    api_keys = ApiKeyInterceptor(Authenticate(_Store(), _Clock()))  # type: ignore[arg-type]

    async def found(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return handler

    async def inner(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return await api_keys.intercept_service(found, details)

    details, context = _Details(), _Context()
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(CALLS):
            observed = await observability.intercept_service(inner, details)
            await observed.unary_unary(None, context)
        elapsed = (time.perf_counter() - started) / CALLS
        print(f"intercept + behaviour: {elapsed * 1e6:.2f} µs a call")


if __name__ == "__main__":
    asyncio.run(main())
