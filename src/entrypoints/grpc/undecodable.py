"""Request bytes that are not a protobuf of the method's type get INVALID_ARGUMENT.

grpcio deserializes a request before any of our code runs and answers a parse failure with
UNKNOWN and the exception's text. Here every method's deserializer is wrapped: a failure
yields an `Undecodable` marker instead of raising, and the method's behaviour answers the
marker with INVALID_ARGUMENT. In a request stream the marker ends the stream at that frame:
what came before it is handled as usual, then the call ends INVALID_ARGUMENT."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from entrypoints.grpc.handlers import inner_unary, rebuild, run_streaming

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """What the deserializer hands on instead of a message it could not parse."""

    type_name: str


class UndecodableRequest(Exception):
    """A request that did not parse. From a request stream it is raised at that frame, so the
    servicer stops reading there (and may finish what it started) before the call ends."""

    def __init__(self, marker: Undecodable, position: int | None = None) -> None:
        if position is None:
            super().__init__(f"the request is not a valid {marker.type_name} (protobuf)")
        else:
            super().__init__(
                f"message {position} of the request stream is not a valid {marker.type_name} "
                "(protobuf); the stream ends here"
            )


def _type_name(deserializer: Callable[[bytes], Any], method: str) -> str:
    # Generated stubs pass `Message.FromString`, a classmethod bound to the message class.
    owner = getattr(deserializer, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    name = getattr(descriptor, "full_name", None)
    return name if isinstance(name, str) else f"request of {method}"


def _tolerant(deserializer: Callable[[bytes], Any], method: str) -> Callable[[bytes], Any]:
    type_name = _type_name(deserializer, method)

    def deserialize(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception as error:  # the bytes are the caller's: any parse failure is theirs
            log.info("undecodable %s on %s: %s", type_name, method, error)
            return Undecodable(type_name)

    return deserialize


async def _checked(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    position = 0
    async for request in requests:
        position += 1
        if isinstance(request, Undecodable):
            raise UndecodableRequest(request, position)
        yield request


class UndecodableRequestInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """The guarded handler depends on the method's handler alone, never on the call: it is
    built once per method and handed out again (the server's methods are a fixed set, so the
    cache is bounded by them), not rebuilt on every call."""

    def __init__(self) -> None:
        self._guarded: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.request_deserializer is None:
            return handler
        method: str = details.method
        known = self._guarded.get(method)
        # The inner interceptors may hand out a new handler per call (dishka's wraps the
        # scoped methods each time): only the same handler reuses its guard.
        if known is not None and known[0] is handler:
            return known[1]
        guarded = _guard(handler, _tolerant(handler.request_deserializer, method))
        self._guarded[method] = (handler, guarded)
        return guarded


def _guard(
    handler: grpc.RpcMethodHandler, deserializer: Callable[[bytes], Any]
) -> grpc.RpcMethodHandler:
    streams_in = handler.stream_unary is not None or handler.stream_stream is not None

    def checked(request: Any) -> Any:
        """The request as the behaviour expects it: a stream that stops at its first
        undecodable frame, or a message that did parse."""
        if streams_in:
            return _checked(request)
        if isinstance(request, Undecodable):
            raise UndecodableRequest(request)
        return request

    inner = inner_unary(handler)

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await inner(checked(request), context)
        except UndecodableRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    async def streaming(request: Any, context: grpc.aio.ServicerContext) -> None:
        try:
            await run_streaming(handler, checked(request), context)
        except UndecodableRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    return rebuild(handler, unary, streaming, deserializer=deserializer)
