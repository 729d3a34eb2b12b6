"""grpc.aio's lookup of a call's method without the reference cycle it leaves a call
(`entrypoints.grpc.method_lookup`, issue 19): a served call's objects are freed by reference
counting, the interceptors and the handlers are found as grpc's own lookup finds them, and a
grpcio whose lookup is not the known one keeps its own."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from grpc._cython import cygrpc

from entrypoints.grpc import method_lookup

_SERVICE = "croupier.test.Echo"
_grpc: Any = cygrpc


def _identity(data: bytes) -> bytes:
    return data


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


async def _other(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return b"from the interceptor"


def _handler(behaviour: Callable[..., Awaitable[bytes]]) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(
        behaviour, request_deserializer=_identity, response_serializer=_identity
    )


class _Recording(grpc.aio.ServerInterceptor):
    """Notes that it ran; for the method `Swap`, answers with a handler of its own."""

    def __init__(self, name: str, seen: list[str]) -> None:
        self._name = name
        self._seen = seen

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        self._seen.append(self._name)
        if details.method.endswith("/Swap"):  # type: ignore[attr-defined]
            return _handler(_other)
        return await continuation(details)


@pytest.fixture
async def served() -> AsyncIterator[tuple[grpc.aio.Channel, list[str]]]:
    assert method_lookup.install()
    seen: list[str] = []
    server = grpc.aio.server(interceptors=[_Recording("outer", seen), _Recording("inner", seen)])
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(_SERVICE, {"Echo": _handler(_echo)}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel, seen
    finally:
        await channel.close()
        await server.stop(None)


def _call(channel: grpc.aio.Channel, method: str) -> Any:
    return channel.unary_unary(
        f"/{_SERVICE}/{method}", request_serializer=_identity, response_deserializer=_identity
    )


async def test_a_served_call_leaves_nothing_for_the_collector(served) -> None:
    channel, _ = served
    echo = _call(channel, "Echo")
    for _ in range(20):  # the channel's and the server's first-call objects
        await echo(b"warm", metadata=(("x-request-id", "w"),))
    gc.collect()
    gc.disable()
    try:
        for i in range(300):
            assert await echo(b"%d" % i, metadata=(("x-request-id", str(i)),)) == b"%d" % i
        left = gc.collect()
    finally:
        gc.enable()

    # grpc's own lookup leaves six objects a call in a cycle: 1,800 here.
    assert left < 30


async def test_calls_are_found_through_the_interceptors_in_order(served) -> None:
    channel, seen = served

    assert await _call(channel, "Echo")(b"ping") == b"ping"
    assert seen == ["outer", "inner"]
    assert await _call(channel, "Swap")(b"ping") == b"from the interceptor"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _call(channel, "Missing")(b"ping")
    assert refused.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_without_interceptors_the_resolver_answers_alone() -> None:
    assert method_lookup.install()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(_SERVICE, {"Echo": _handler(_echo)}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            assert await _call(channel, "Echo")(b"alone") == b"alone"
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await _call(channel, "Missing")(b"alone")
    finally:
        await server.stop(None)
    assert refused.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_the_pinned_grpcio_gets_the_cycle_free_lookup() -> None:
    # Fails when a grpcio upgrade changes the function this replaces: then look again at
    # grpc's `_find_method_handler` (grpc/_cython/_cygrpc/aio/server.pyx.pxi).
    assert method_lookup.install()
    assert _grpc._find_method_handler is method_lookup.find_method_handler
    assert method_lookup.install()  # once is enough; again changes nothing


def test_another_grpcio_release_keeps_its_own(monkeypatch) -> None:
    # A stand-in with the known arguments: only the release tells it apart.
    async def _find_method_handler(
        method: str, metadata: tuple[Any, ...], method_resolver: Any, interceptors: tuple[Any, ...]
    ) -> Any:
        return None

    monkeypatch.setattr(_grpc, "_find_method_handler", _find_method_handler)
    monkeypatch.setattr(grpc, "__version__", "1.86.0")
    assert method_lookup.install() is False
    assert _grpc._find_method_handler is _find_method_handler

    monkeypatch.setattr(grpc, "__version__", "1.85.9")
    assert method_lookup.install() is True
    assert _grpc._find_method_handler is method_lookup.find_method_handler


def test_a_lookup_it_does_not_know_is_left_alone(monkeypatch, caplog) -> None:
    async def someone_elses(method: str, metadata: tuple[Any, ...], handlers: list[Any]) -> Any:
        return None

    monkeypatch.setattr(_grpc, "_find_method_handler", someone_elses)
    with caplog.at_level(logging.INFO, logger="entrypoints.grpc.method_lookup"):
        assert method_lookup.install() is False

    assert _grpc._find_method_handler is someone_elses
    assert "left to the garbage collector" in caplog.text


async def test_the_service_installs_it(grpc_server) -> None:
    assert _grpc._find_method_handler is method_lookup.find_method_handler
