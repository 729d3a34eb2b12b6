"""The ids a log line carries, kept in context variables that the entrypoints set.

`request_id` names one HTTP request, gRPC call or bot update; `trace_id` the distributed
trace it belongs to (W3C Trace Context); `bet_id` the bet being placed or settled. A context
variable follows the code into everything it awaits, so a line logged deep inside a use
case or an adapter carries the ids of the request that caused it."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import uuid
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
trace_id: ContextVar[str | None] = ContextVar("trace_id", default=None)
bet_id: ContextVar[str | None] = ContextVar("bet_id", default=None)
# In the order log lines show them.
VARS = (request_id, trace_id, bet_id)

REQUEST_ID_HEADER = "x-request-id"
TRACEPARENT_HEADER = "traceparent"

# A caller's id is kept only when it cannot hurt a log line or a header: bounded, and made
# of characters that need no escaping anywhere (UUIDs, hex, ULIDs, dotted or dashed ids).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# version-traceid-parentid-flags; version ff is invalid, all-zero ids are invalid.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE = "0" * 32
_ZERO_PARENT = "0" * 16


# A new request id is a random prefix drawn once per process (again in a forked child) and a
# counter: 32 hex characters, unique like a random id, without reading the OS's random source
# on every call (a system call a call, ~1% of a unary bet's service CPU). A request id names
# a call in the logs; it grants nothing, so it need not be unguessable.
_prefix = secrets.token_hex(8)
_counter = itertools.count()


def _draw_prefix() -> None:
    global _prefix, _counter
    _prefix = secrets.token_hex(8)
    _counter = itertools.count()


os.register_at_fork(after_in_child=_draw_prefix)


def new_request_id() -> str:
    return f"{_prefix}{next(_counter) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def request_id_from(presented: str | bytes | None) -> str:
    """The caller's request id when it is sane, else a new one."""
    if isinstance(presented, str) and _SANE_REQUEST_ID.fullmatch(presented):
        return presented
    return new_request_id()


def trace_id_from(traceparent: str | bytes | None) -> str | None:
    """The trace id of a valid W3C `traceparent`, else None."""
    if not isinstance(traceparent, str):
        return None
    match = _TRACEPARENT.fullmatch(traceparent.strip())
    if match is None:
        return None
    version, trace, parent, _, rest = match.groups()
    if version == "ff" or trace == _ZERO_TRACE or parent == _ZERO_PARENT:
        return None
    if version == "00" and rest is not None:  # version 00 has exactly four fields
        return None
    return trace


def bind_bet(bet: uuid.UUID) -> None:
    """Lines logged from here on in this task (and what it awaits) name the bet."""
    bet_id.set(str(bet))


def current() -> dict[str, str]:
    """The ids set in this context, by field name."""
    found = {}
    for var in VARS:
        value = var.get()
        if value is not None:
            found[var.name] = value
    return found
