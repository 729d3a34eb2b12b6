"""Wrapping an RPC method handler, as interceptors of grpc.aio do: the wrapper keeps the
handler's kind and (de)serialisers and runs its own code around the call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

Behaviour = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def kind_of(handler: grpc.RpcMethodHandler) -> str:
    """go-grpc-prometheus's `grpc_type`."""
    if handler.unary_unary:
        return "unary"
    if handler.stream_unary:
        return "client_stream"
    if handler.unary_stream:
        return "server_stream"
    return "bidi_stream"


def rebuild(
    handler: grpc.RpcMethodHandler,
    unary: Behaviour,
    streaming: Behaviour,
    *,
    deserializer: Callable[[bytes], Any] | None = None,
) -> grpc.RpcMethodHandler:
    """`handler` answered by `unary` (one response) or `streaming` (responses written to the
    context), whichever its kind needs; with `deserializer`, its requests are read by that."""
    args = (deserializer or handler.request_deserializer, handler.response_serializer)
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(unary, *args)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(unary, *args)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(streaming, *args)
    return grpc.stream_stream_rpc_method_handler(streaming, *args)


def inner_unary(handler: grpc.RpcMethodHandler) -> Behaviour:
    return handler.unary_unary or handler.stream_unary  # type: ignore[no-any-return]


async def run_streaming(
    handler: grpc.RpcMethodHandler, request: Any, context: grpc.aio.ServicerContext
) -> None:
    """Run a streaming-response handler: an async generator's items are written to the
    context; a coroutine (which writes them itself) is awaited."""
    result = (handler.unary_stream or handler.stream_stream)(request, context)
    if hasattr(result, "__aiter__"):
        async for item in result:
            await context.write(item)
        return
    await result
