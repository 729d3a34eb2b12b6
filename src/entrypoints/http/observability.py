"""Every HTTP request's request id (echoed in `X-Request-ID`), trace and access line.

The request id is the caller's `X-Request-ID` when sane, else a new one; the trace
continues the caller's `traceparent`. Both are in the context of everything the request
runs, so its log lines carry them (with the bet id, where a handler binds one)."""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.observability import context, tracing
from entrypoints.observability.logs import ACCESS_LOGGER

access = logging.getLogger(ACCESS_LOGGER)

_STATE_KEY = "croupier_request_id"
# Probes and scrapes: no access line each (one every few seconds is noise).
_QUIET_PREFIXES = ("/health/", "/metrics")
_MAX_LOGGED_PATH = 200


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _request_id(scope: Scope, headers: dict[str, str] | None = None) -> str:
    """This request's id, chosen once and kept in the scope for the response header."""
    state: dict[str, Any] = scope.setdefault("state", {})
    chosen = state.get(_STATE_KEY)
    if not isinstance(chosen, str):
        presented = (headers if headers is not None else _headers(scope)).get(
            context.REQUEST_ID_HEADER
        )
        chosen = state[_STATE_KEY] = context.request_id_from(presented)
    return chosen


async def echo_request_id(message: Message, scope: Scope) -> None:
    """A `before_send` hook: every response carries its request id, even one the router
    answered before any middleware ran (an unknown path)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    if not any(name.lower() == b"x-request-id" for name, _ in headers):
        headers.append((b"x-request-id", _request_id(scope).encode("latin-1")))
        message["headers"] = headers


class RequestContextMiddleware:
    """Ids and a server span around the route; one access line after it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in (ScopeType.HTTP, ScopeType.WEBSOCKET):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        tokens = (
            (context.request_id, context.request_id.set(_request_id(scope, headers))),
            (context.trace_id, context.trace_id.set(None)),
            (context.bet_id, context.bet_id.set(None)),
        )
        try:
            if scope["type"] == ScopeType.WEBSOCKET:
                # A socket lives for minutes: its lines carry the ids, but it is no request
                # to time or trace.
                context.trace_id.set(context.trace_id_from(headers.get(context.TRACEPARENT_HEADER)))
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, headers)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        method: str = scope["method"]  # type: ignore[typeddict-item]
        path: str = scope["path"]
        route = scope.get("path_template") or path
        status = 500  # what the client gets if the app fails to answer at all

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            with tracing.server_span(
                f"{method} {route}",
                headers,
                {"http.request.method": method, "http.route": route, "url.path": path},
            ) as span:
                try:
                    await self.app(scope, receive, sending)
                finally:
                    span.set("http.response.status_code", status)
                    if status >= 500:
                        span.fail(f"HTTP {status}")
        finally:
            if not path.startswith(_QUIET_PREFIXES):
                access.info(
                    "HTTP %s %s %d %.1f ms",
                    method,
                    path[:_MAX_LOGGED_PATH],
                    status,
                    (time.perf_counter() - started) * 1000,
                )
