"""The first interceptor of every RPC: its request id (echoed where `CROUPIER_GRPC_ECHO_REQUEST_ID`
says: the trailing metadata by default, the initial metadata, or not at all), its trace, its
metrics and its access line.

The request id is the caller's `x-request-id` metadata when sane, else a new one; the trace
continues the caller's `traceparent` metadata. Both, and any bet id a handler binds, are in
the context of everything the call runs, so its log lines carry them."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from entrypoints.grpc.handlers import inner_unary, kind_of, rebuild, run_streaming
from entrypoints.observability import context, tracing
from entrypoints.observability.logs import ACCESS_LOGGER
from entrypoints.observability.metrics import (
    GRPC_HANDLED,
    GRPC_HANDLING_SECONDS,
    GRPC_STARTED,
)
from entrypoints.settings import RequestIdEcho

access = logging.getLogger(ACCESS_LOGGER)

# Probes and tooling: counted, but no access line each (a probe every few seconds is noise).
_QUIET_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
# The status codes that mean the server failed (OpenTelemetry's rule for gRPC servers); the
# others are answers to the caller.
_SERVER_FAULTS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """`echo_request_id` (`CROUPIER_GRPC_ECHO_REQUEST_ID`): where the request id is sent
    back. `TRAILING` sets it as the call's trailing metadata before the handler runs: grpc.aio
    sends that with the status, in the batch that also carries the answer, so it costs no
    frame of its own; an abort without trailing metadata of its own keeps it, and one with
    its own (a domain refusal's details) adds them to it (`errors.abort_with`). `INITIAL`
    sends it before the answer: grpc.aio then sends the initial metadata as a frame and a
    sendmsg of their own (~45 µs of CPU a unary bet, bench/README.md).

    The observed handler depends on the method and its handler alone: everything of the call
    (its request id, its trace context) is read from the call's own context when it runs, so
    it is built once per method and handed out again (bounded by the server's methods). A
    refused call's handler is new each time (the API-key interceptor builds it per call), so it
    gets a wrapper of its own, as every call did before."""

    def __init__(self, *, echo_request_id: RequestIdEcho = RequestIdEcho.TRAILING) -> None:
        self._echo = echo_request_id
        self._observed: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:  # an unknown method: grpc answers UNIMPLEMENTED itself
            return handler
        method: str = details.method
        known = self._observed.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        observed = _observed(handler, method, self._echo)
        self._observed[method] = (handler, observed)
        return observed


@functools.cache
def _method(method: str, kind: str) -> tuple[str, str, bool, Counter, Histogram]:
    """What a method's calls share, found once (bounded by the server's methods: an unknown
    one never gets here): its service and name, whether it is quiet, its metrics' children."""
    service, _, name = method.lstrip("/").partition("/")
    started_total, seconds = _per_method(kind, service, name)
    return service, name, method.startswith(_QUIET_PREFIXES), started_total, seconds


def _observed(
    handler: grpc.RpcMethodHandler,
    method: str,
    echo: RequestIdEcho,
) -> grpc.RpcMethodHandler:
    kind = kind_of(handler)
    trailing = echo is RequestIdEcho.TRAILING
    initial = echo is RequestIdEcho.INITIAL
    service, name, quiet, started_total, seconds = _method(method, kind)

    async def observe(call: Callable[[], Awaitable[Any]], ctx: grpc.aio.ServicerContext) -> Any:
        # This call's metadata, read from its own context: the wrapper is shared by every
        # call of the method. Binary (-bin) values are bytes; neither id is one.
        carrier = {
            key: value for key, value in ctx.invocation_metadata() or () if isinstance(value, str)
        }
        request_id = context.request_id_from(carrier.get(context.REQUEST_ID_HEADER))
        tokens = (
            (context.request_id, context.request_id.set(request_id)),
            (context.trace_id, context.trace_id.set(None)),
            (context.bet_id, context.bet_id.set(None)),
        )
        started_total.inc()
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN
        try:
            with tracing.server_span(
                f"{service}/{name}",
                carrier,
                {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
            ) as span:
                try:
                    if trailing:
                        ctx.set_trailing_metadata(((context.REQUEST_ID_HEADER, request_id),))
                    elif initial:
                        await ctx.send_initial_metadata(((context.REQUEST_ID_HEADER, request_id),))
                    result = await call()
                    code = _code(ctx, grpc.StatusCode.OK)
                    return result
                except grpc.aio.AbortError:
                    code = _code(ctx, grpc.StatusCode.UNKNOWN)
                    raise
                except asyncio.CancelledError:
                    remaining = ctx.time_remaining()
                    code = (
                        grpc.StatusCode.DEADLINE_EXCEEDED
                        if remaining is not None and remaining <= 0
                        else grpc.StatusCode.CANCELLED
                    )
                    raise
                finally:
                    span.set("rpc.grpc.status_code", code.value[0])
                    if code in _SERVER_FAULTS:
                        span.fail(code.name)
        finally:
            elapsed = time.perf_counter() - started
            _handled(kind, service, name, code).inc()
            seconds.observe(elapsed)
            if not quiet:
                access.info("gRPC %s %s %.1f ms", method, code.name, elapsed * 1000)
            for var, token in reversed(tokens):
                var.reset(token)

    inner = inner_unary(handler)

    async def unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
        return await observe(lambda: inner(request, ctx), ctx)

    async def streaming(request: Any, ctx: grpc.aio.ServicerContext) -> None:
        await observe(lambda: run_streaming(handler, request, ctx), ctx)

    return rebuild(handler, unary, streaming)


# A metric's children for a label set, found once: `labels()` costs more than the update
# itself, on every call. Bounded by the server's methods (an unknown one never gets here).
@functools.cache
def _per_method(kind: str, service: str, name: str) -> tuple[Counter, Histogram]:
    return (
        GRPC_STARTED.labels(kind, service, name),
        GRPC_HANDLING_SECONDS.labels(kind, service, name),
    )


@functools.cache
def _handled(kind: str, service: str, name: str, code: grpc.StatusCode) -> Counter:
    return GRPC_HANDLED.labels(kind, service, name, code.name)


def _code(ctx: grpc.aio.ServicerContext, default: grpc.StatusCode) -> grpc.StatusCode:
    """The status the handler set (an abort sets it), else `default`."""
    code = ctx.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):  # some grpcio versions keep the number
        for candidate in grpc.StatusCode:
            if candidate.value[0] == code:
                return candidate
    return default
