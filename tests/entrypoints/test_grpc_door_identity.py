"""A gRPC call's identity is its own (issue 19): the observability interceptor hands out one
wrapper per method and the API-key interceptor no wrapper at all, so nothing of a call may be
captured where another call could find it. Over a real channel, callers with different keys
and request ids race on the same methods (unary and streaming): each handler sees its own
caller's key and request id, each refusal is its own caller's, each echoed id is the one its
caller sent; and a key revoked after its method's handler was cached is refused on the next
call once the door's one-second memo has passed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from application.access import Authenticate
from domain.access import ApiKey, hash_secret
from entrypoints.grpc import auth
from entrypoints.grpc.auth import ApiKeyInterceptor, current_key
from entrypoints.grpc.observability import ObservabilityInterceptor
from entrypoints.observability import context

_SECRET = "s" * 43
_SERVICE = "croupier.v1.BettingService"


def _key(key_id: str, name: str, services: frozenset[str]) -> ApiKey:
    return ApiKey(key_id, name, hash_secret(_SECRET), services, datetime.now(UTC))


def _presented(key: ApiKey) -> str:
    return f"crp_{key.key_id}_{_SECRET}"


class _Store:
    def __init__(self, *keys: ApiKey) -> None:
        self.keys = {key.key_id: key for key in keys}

    async def find(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def _who(request: bytes, ctx: grpc.aio.ServicerContext) -> bytes:
    # A yield to the loop first, so racing calls interleave inside their handlers.
    await asyncio.sleep(0)
    return f"{current_key.get().name}|{context.request_id.get()}".encode()


async def _who_each(
    requests: AsyncIterator[bytes], ctx: grpc.aio.ServicerContext
) -> AsyncIterator[bytes]:
    async for _ in requests:
        await asyncio.sleep(0)
        yield f"{current_key.get().name}|{context.request_id.get()}".encode()


@pytest.fixture
async def door():
    """The service's two outer interceptors, in its order, over an in-memory key store, and a
    channel to them; `clock` is the API-key memo's monotonic clock."""
    alpha = _key("a1a1a1a1a1a1", "alpha", frozenset({"betting"}))
    beta = _key("b2b2b2b2b2b2", "beta", frozenset({"betting"}))
    walleted = _key("c3c3c3c3c3c3", "wallet-only", frozenset({"wallet"}))
    store = _Store(alpha, beta, walleted)
    clock = [1000.0]
    server = grpc.aio.server(
        interceptors=[
            ObservabilityInterceptor(),
            ApiKeyInterceptor(Authenticate(store, _Clock()), monotonic=lambda: clock[0]),  # type: ignore[arg-type]
        ]
    )
    handlers = {
        "GetBet": grpc.unary_unary_rpc_method_handler(_who),
        "StreamBets": grpc.stream_stream_rpc_method_handler(_who_each),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(_SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel, store, clock, (alpha, beta, walleted)
    finally:
        await server.stop(None)


async def _unary(channel: grpc.aio.Channel, key: ApiKey, request_id: str) -> tuple[Any, ...]:
    call = channel.unary_unary(f"/{_SERVICE}/GetBet")(
        b"", metadata=(("x-api-key", _presented(key)), ("x-request-id", request_id))
    )
    try:
        answer = (await call).decode()
    except grpc.aio.AioRpcError as error:
        answer = error.code()
    echoed = [v for k, v in await call.trailing_metadata() if k == "x-request-id"]
    return answer, echoed


async def _stream(channel: grpc.aio.Channel, key: ApiKey, request_id: str) -> list[str]:
    call = channel.stream_stream(f"/{_SERVICE}/StreamBets")(
        iter([b"", b"", b""]),
        metadata=(("x-api-key", _presented(key)), ("x-request-id", request_id)),
    )
    return [answer.decode() async for answer in call]


async def test_racing_callers_each_get_their_own_key_scope_and_request_id(door):
    channel, _, _, (alpha, beta, walleted) = door
    callers = [(alpha, beta, walleted)[i % 3] for i in range(90)]
    answers = await asyncio.gather(
        *[_unary(channel, key, f"req-{i}") for i, key in enumerate(callers)]
    )
    for i, (key, (answer, echoed)) in enumerate(zip(callers, answers, strict=True)):
        # A refused caller's id is still its own (the refusal is observed too).
        assert echoed == [f"req-{i}"]
        if key is walleted:
            assert answer == grpc.StatusCode.PERMISSION_DENIED
        else:
            assert answer == f"{key.name}|req-{i}"
    streams = await asyncio.gather(
        *[_stream(channel, (alpha, beta)[i % 2], f"stream-{i}") for i in range(20)]
    )
    assert streams == [[f"{('alpha', 'beta')[i % 2]}|stream-{i}"] * 3 for i in range(20)]


async def test_a_key_revoked_after_its_method_was_cached_is_refused_on_the_next_call(door):
    channel, store, clock, (alpha, beta, _) = door
    assert await _unary(channel, alpha, "before") == ("alpha|before", ["before"])
    assert await _unary(channel, beta, "other") == ("beta|other", ["other"])
    store.keys[alpha.key_id] = dataclasses.replace(alpha, revoked_at=datetime.now(UTC))
    clock[0] += auth.AUTHENTICATED_SECONDS  # the memo of the accepted key is over
    assert await _unary(channel, alpha, "after") == (grpc.StatusCode.UNAUTHENTICATED, ["after"])
    # The cached handler still serves the key that was not revoked, as itself.
    assert await _unary(channel, beta, "still") == ("beta|still", ["still"])
    # And a call without a key, between calls with one, is refused.
    call = channel.unary_unary(f"/{_SERVICE}/GetBet")(b"")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert await _unary(channel, beta, "again") == ("beta|again", ["again"])


class _Details(grpc.HandlerCallDetails):  # type: ignore[misc]
    def __init__(self, method: str, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.method = method
        self.invocation_metadata = metadata


async def test_the_outer_interceptors_build_nothing_a_call():
    handler = grpc.unary_unary_rpc_method_handler(_who)

    async def found(_: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        return handler

    observability = ObservabilityInterceptor()
    first = await observability.intercept_service(found, _Details(f"/{_SERVICE}/GetBet"))
    again = await observability.intercept_service(
        found, _Details(f"/{_SERVICE}/GetBet", (("x-request-id", "another"),))
    )
    assert first is not handler
    assert again is first
    alpha = _key("a1a1a1a1a1a1", "alpha", frozenset({"betting"}))
    api_keys = ApiKeyInterceptor(Authenticate(_Store(alpha), _Clock()))  # type: ignore[arg-type]
    details = _Details(f"/{_SERVICE}/GetBet", (("x-api-key", _presented(alpha)),))
    # An accepted call is served by the method's own handler: no wrapper to hold its key.
    assert await api_keys.intercept_service(found, details) is handler
