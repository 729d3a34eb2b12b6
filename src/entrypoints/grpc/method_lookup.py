"""grpc.aio's lookup of a call's method handler, without the reference cycle it leaves behind
(issue 19).

For every call, grpc.aio's `_find_method_handler` (Cython, in `grpc._cython.cygrpc`) defines a
closure, `query_handlers`, inside its own coroutine: the coroutine's scope holds the closure and
the closure holds the scope, so each call's handler details, its metadata tuple and two metadata
items stay alive until the cyclic collector finds them, six objects a call (1,000 calls leave
6,000 for `gc.collect()`). Under load they are what the young-generation passes spend their
time freeing: 5-8 ms pauses every ~1.6 s at 722 calls a second, two of a traced window's seven
right under its clusters of slow bets (bench/README.md, 2026-12-05 12:22;
`CROUPIER_GC_THRESHOLD` only trades the pauses' length against their number).

`install` puts a function in its place that does the same with the resolver's bound
`resolve_handler` (the closure's whole body in grpcio 1.85), so nothing points back and
reference counting frees a call's objects when it ends. grpc.aio looks the function up in its
module's namespace at every call (a Cython `def`), which is what lets the replacement take. It
replaces only the function it was checked against: grpcio 1.85's, taking (method, metadata,
method_resolver, interceptors) beside a `_MethodResolver` with `resolve_handler`. Any other
grpcio keeps its own (an upgrade fails `test_grpc_method_lookup.py` until its function is read
again), and the collector frees the cycles as before: longer pauses, the same answers.

It costs no CPU that was measured (a call with four interceptors, client and server in one
process: 374 µs with it, 373 without, four runs each): the Python coroutine costs what the
collector's work saved. What it removes is the pauses."""

from __future__ import annotations

import logging
from typing import Any

import grpc
from grpc._cython import cygrpc

log = logging.getLogger(__name__)

_ARGUMENTS = ("method", "metadata", "method_resolver", "interceptors")
_CHECKED = ("1.85.",)  # the grpcio releases whose `_find_method_handler` was read
# grpc's private names, read through the module so that a release without one is found at
# `install` rather than at a call.
_grpc: Any = cygrpc


async def find_method_handler(
    method: str, metadata: tuple[Any, ...], method_resolver: Any, interceptors: tuple[Any, ...]
) -> Any:
    """grpc.aio's `_find_method_handler`, its closure replaced by a bound method."""
    details = _grpc._HandlerCallDetails(method, metadata)
    resolve = method_resolver.resolve_handler
    if interceptors:
        return await _grpc._run_interceptor(iter(interceptors), resolve, details)
    return resolve(details)


def install() -> bool:
    """Replace grpc.aio's method lookup with `find_method_handler` (once a process; a second
    call changes nothing) when it is the one this module knows; whether it is in place."""
    current = getattr(_grpc, "_find_method_handler", None)
    if current is find_method_handler:
        return True
    if not _known(current):
        log.info(
            "grpcio %s looks up a call's method its own way: its reference cycle a call is left"
            " to the garbage collector",
            grpc.__version__,
        )
        return False
    _grpc._find_method_handler = find_method_handler
    return True


def _known(current: Any) -> bool:
    code = getattr(current, "__code__", None)
    resolver = getattr(_grpc, "_MethodResolver", None)
    return (
        grpc.__version__.startswith(_CHECKED)
        and code is not None
        and tuple(code.co_varnames[: code.co_argcount]) == _ARGUMENTS
        and hasattr(_grpc, "_HandlerCallDetails")
        and hasattr(_grpc, "_run_interceptor")
        and hasattr(resolver, "resolve_handler")
    )
