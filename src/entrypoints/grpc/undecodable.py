"""Request bytes that are not a protobuf of the method's type get INVALID_ARGUMENT.

grpcio deserializes a request before any of our code runs and answers a parse failure with
UNKNOWN and the exception's text. Here every method's deserializer is wrapped: a failure
yields an `Undecodable` marker instead of raising, and the method's behaviour answers the
marker with INVALID_ARGUMENT. In a request stream the marker ends the stream at that frame:
what came before it is handled as usual, then the call ends INVALID_ARGUMENT."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Undecodable:
    """What the deserializer hands on instead of a message it could not parse."""

    type_name: str


class UndecodableRequest(Exception):
    """Raised from a request stream at the frame that did not parse, so the servicer stops
    reading there (and may finish what it started) before the call ends."""

    def __init__(self, marker: Undecodable, position: int) -> None:
        super().__init__(
            f"message {position} of the request stream is not a valid {marker.type_name} "
            "(protobuf); the stream ends here"
        )


def _unary_message(marker: Undecodable) -> str:
    return f"the request is not a valid {marker.type_name} (protobuf)"


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
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.request_deserializer is None:
            return handler
        return _guard(handler, _tolerant(handler.request_deserializer, details.method))


def _guard(
    handler: grpc.RpcMethodHandler, deserializer: Callable[[bytes], Any]
) -> grpc.RpcMethodHandler:
    serializer = handler.response_serializer
    if handler.unary_unary or handler.unary_stream:
        inner = handler.unary_unary or handler.unary_stream
        streams_out = handler.unary_stream is not None

        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, Undecodable):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _unary_message(request))
            return await _answer(inner(request, context), context)

        make = (
            grpc.unary_stream_rpc_method_handler
            if streams_out
            else grpc.unary_unary_rpc_method_handler
        )
        return make(unary, deserializer, serializer)

    inner_streaming = handler.stream_unary or handler.stream_stream

    async def streaming(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
        try:
            return await _answer(inner_streaming(_checked(requests), context), context)
        except UndecodableRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    make_streaming = (
        grpc.stream_unary_rpc_method_handler
        if handler.stream_unary
        else grpc.stream_stream_rpc_method_handler
    )
    return make_streaming(streaming, deserializer, serializer)


async def _answer(result: Any, context: grpc.aio.ServicerContext) -> Any:
    """A behaviour returns a response, or is an async generator of responses: the latter are
    written here, as the call's own behaviour would have had them written."""
    if hasattr(result, "__aiter__"):
        async for item in result:
            await context.write(item)
        return None
    return await result if inspect.isawaitable(result) else result
