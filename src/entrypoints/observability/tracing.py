"""Optional OpenTelemetry tracing: spans for HTTP requests, gRPC calls and bet placements.

Off unless `CROUPIER_OTEL_ENDPOINT` is set, and then OpenTelemetry is imported only here,
only by `configure_tracing`: a process without tracing pays neither the import nor a span.
The spans are made by our own HTTP middleware and gRPC interceptor (which exist anyway for
the request ids and the metrics), not by instrumentation packages.

The tracer provider is ours, not OpenTelemetry's global one: a process (or a test) can
configure tracing, shut it down and configure it again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from entrypoints.observability import context
from entrypoints.settings import PREFIX, OtelProtocol, Settings, SettingsError

_TRACES_PATH = "/v1/traces"


@dataclass(frozen=True, slots=True)
class Tracing:
    """A configured tracer and what it needs: the W3C propagator and the provider (whose
    `force_flush` exports what is buffered, and `shutdown` stops the exporter)."""

    tracer: Any
    propagator: Any
    provider: Any

    def flush(self) -> None:
        self.provider.force_flush()

    def shutdown(self) -> None:
        self.provider.shutdown()


_active: Tracing | None = None


def active() -> Tracing | None:
    return _active


def configure_tracing(settings: Settings, *, exporter: Any = None) -> Tracing | None:
    """Trace to the configured OTLP endpoint (or to `exporter`, a span exporter: tests pass
    an in-memory one). None when tracing is off. Raises `SettingsError` when the endpoint is
    set but the OpenTelemetry packages are not installed."""
    global _active
    if settings.otel_endpoint is None and exporter is None:
        return None
    try:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        if exporter is None:
            exporter = _otlp_exporter(settings)
    except ImportError as error:
        raise SettingsError(
            f"{PREFIX}OTEL_ENDPOINT is set but OpenTelemetry is not installed "
            f"({error.name or error} is missing): install the `otel` extra, "
            "e.g. pip install 'croupier[otel]', or unset the endpoint"
        ) from None
    shutdown_tracing()
    # Samplers, export batching and collector headers follow OpenTelemetry's own variables
    # (OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS), which the SDK reads.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _active = Tracing(provider.get_tracer("croupier"), TraceContextTextMapPropagator(), provider)
    return _active


def _otlp_exporter(settings: Settings) -> Any:
    endpoint = settings.otel_endpoint
    assert endpoint is not None
    if settings.otel_protocol is OtelProtocol.GRPC:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        # An http:// endpoint is a plaintext channel, https:// a TLS one.
        return OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpSpanExporter,
    )

    # Given explicitly, the HTTP exporter takes the URL as it is: the collector's base
    # address gets the traces path that OTLP/HTTP defines.
    endpoint = endpoint.rstrip("/")
    if not endpoint.endswith(_TRACES_PATH):
        endpoint += _TRACES_PATH
    return HttpSpanExporter(endpoint=endpoint)


def shutdown_tracing() -> None:
    """Export what is buffered and stop tracing."""
    global _active
    if _active is not None:
        _active.shutdown()
        _active = None


class Span:
    """What the middleware and interceptors do with a span; a no-op when tracing is off."""

    __slots__ = ("_span",)

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, key: str, value: str | int | bool) -> None:
        if self._span is not None:
            self._span.set_attribute(key, value)

    def fail(self, description: str) -> None:
        if self._span is not None:
            from opentelemetry.trace import Status, StatusCode

            self._span.set_status(Status(StatusCode.ERROR, description))


def server_span(
    name: str, carrier: Mapping[str, str], attributes: Mapping[str, str | int | bool]
) -> AbstractContextManager[Span]:
    """The span of one incoming request, continuing the caller's trace when `carrier` (its
    headers or metadata, lower-case names) holds a valid `traceparent`. Sets the context's
    `trace_id`: the span's when tracing, else the caller's (or none)."""
    tracing = _active
    if tracing is None:
        # Every request comes here when tracing is off: a shared do-nothing context manager,
        # not a generator's (its frames and `contextlib` wrapper, ~0.6 µs a call).
        context.trace_id.set(context.trace_id_from(carrier.get(context.TRACEPARENT_HEADER)))
        return _UNTRACED
    return _server_span(tracing, name, carrier, attributes)


class _Untraced:
    __slots__ = ()

    def __enter__(self) -> Span:
        return _NO_SPAN

    def __exit__(self, *_: object) -> None:
        return None


_NO_SPAN = Span()  # holds no span: its methods do nothing, so one serves every request
_UNTRACED = _Untraced()


@contextlib.contextmanager
def _server_span(
    tracing: Tracing,
    name: str,
    carrier: Mapping[str, str],
    attributes: Mapping[str, str | int | bool],
) -> Iterator[Span]:
    from opentelemetry.trace import SpanKind

    parent = tracing.propagator.extract(carrier)
    with tracing.tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.SERVER,
        attributes=dict(attributes),
        # Our callers set the status themselves: an aborted gRPC call or a 4xx is an answer.
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        context.trace_id.set(format(span.get_span_context().trace_id, "032x"))
        yield Span(span)


@contextlib.contextmanager
def internal_span(name: str, attributes: Mapping[str, str | int | bool]) -> Iterator[Span]:
    """A span for a step inside a request (a bet's placement), child of the current one."""
    tracing = _active
    if tracing is None:
        yield Span()
        return
    with tracing.tracer.start_as_current_span(
        name, attributes=dict(attributes), record_exception=False, set_status_on_exception=False
    ) as span:
        if context.trace_id.get() is None:  # a root span: the bot has no incoming trace
            context.trace_id.set(format(span.get_span_context().trace_id, "032x"))
        yield Span(span)
