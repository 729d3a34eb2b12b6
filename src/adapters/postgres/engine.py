"""The SQLAlchemy async engine over asyncpg."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from adapters.postgres.errors import sqlstate
from application.ports.unit_of_work import LockContended
from domain.errors import InvalidRequest, StorageUnavailable

log = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """Accept the libpq form (postgresql://…, as every other tool prints it) and pick the
    asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+asyncpg"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.render_as_string(hide_password=False)


# Input the database cannot store is the client's mistake, whichever query meets it first:
# a NUL character in text, bytes that are not UTF-8, a value outside a column's range.
_BAD_INPUT = {
    "22021": "text contains a character the database cannot store (such as NUL)",
    "22P05": "text contains a character the database cannot store",
    "22003": "a number is out of range",
    "22008": "a date or time is out of range",
}


# connection_exception (08…), admin_shutdown, crash_shutdown, cannot_connect_now: the server
# went away or is restarting.
_GONE = ("08", "57P01", "57P02", "57P03")


def connection_lost(code: str, error: BaseException) -> bool:
    """A driver error (SQLSTATE `code`, or none) that means the server or the connection went
    away; for statements sent through the driver itself (`snapshot_placements`)."""
    return (
        code.startswith(_GONE) or isinstance(error, OSError) or isinstance(error.__cause__, OSError)
    )


def out_of_resources(code: str) -> bool:
    return code.startswith(_EXHAUSTED)


def _server_gone(context: ExceptionContext) -> bool:
    if context.is_disconnect:
        return True
    error = context.sqlalchemy_exception
    if isinstance(error, DBAPIError) and (sqlstate(error) or "").startswith(_GONE):
        return True
    original = context.original_exception
    return isinstance(original, OSError) or isinstance(original.__cause__, OSError)


# insufficient_resources (53…): disk full, out of memory, too many connections. The server is
# up but cannot take the work now; the transaction rolled back, so a retry is safe and may
# succeed once an operator frees space. The client's answer is the same as for a restart.
_EXHAUSTED = "53"


_DEADLOCK = "40P01"


def _translate(context: ExceptionContext) -> None:
    error = context.sqlalchemy_exception
    if isinstance(error, DBAPIError) and (sqlstate(error) or "").startswith(_EXHAUSTED):
        log.error("the database is out of resources (%s): %s", sqlstate(error), error.orig)
        raise StorageUnavailable(
            "the database cannot take this right now; nothing was changed, repeat the request "
            "with the same idempotency key"
        ) from error
    if _server_gone(context):
        # SQLAlchemy still invalidates the connection (and the pool's older ones) after this.
        raise StorageUnavailable(
            "the database connection was lost; repeat the request with the same idempotency key"
        ) from error
    if isinstance(error, DBAPIError) and sqlstate(error) == _DEADLOCK:
        # Chosen as a deadlock's victim: the transaction is rolled back, nothing was written,
        # and the caller may start over (the bet's locked road does, as on a lost race).
        raise LockContended(f"chosen as a deadlock's victim: {error.orig}") from error
    if isinstance(error, DBAPIError):
        message = _BAD_INPUT.get(sqlstate(error) or "")
        if message is not None:
            raise InvalidRequest(message) from error


def _connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
    # A refused or timed-out connect is an OSError from the driver, which SQLAlchemy passes
    # through untranslated: every reader that opens its own connection (admin read models,
    # reports, health) would answer it as an internal error instead of "unavailable".
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as error:
        raise StorageUnavailable(
            "the database cannot be reached; repeat the request with the same idempotency key"
        ) from error


# A connection that sat in the pool this long is pinged before it is handed out again.
IDLE_PING_SECONDS = 5.0
_IDLE_SINCE = "croupier_idle_since"


def _note_idle(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """SQLAlchemy's `pool_pre_ping` costs three round trips (BEGIN, `;`, ROLLBACK) on every
    checkout: on the betting path that was a sixth of all statements. A connection in
    steady use proves itself with every statement, so only one that sat idle for a while
    (when a server restart, a failover or an idle timeout may have cut it) is pinged; a dead
    one makes the pool open a fresh connection. A connection cut while in use fails its
    statement (`StorageUnavailable`), and SQLAlchemy then throws away every pooled connection
    older than the failure (see docs/operations.md, "When the database goes away")."""
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise DisconnectionError("a pooled connection died while idle") from error


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 20, application_name: str = "croupier"
) -> AsyncEngine:
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # The connection checked in last is handed out first: the betting path keeps reusing
        # the few warm connections it needs (their backends' plans and caches made), and the
        # rest sit idle instead of taking turns, so a connection opened for a moment's extra
        # need (a key's read beside a batch) does not then pay its first `place_bets` planning
        # in a later batch, and fewer checkouts find a connection idle long enough to ping.
        pool_use_lifo=True,
        # The money path relies on READ COMMITTED plus conditional updates and row locks;
        # say so rather than inherit whatever the server's default is.
        isolation_level="READ COMMITTED",
        connect_args={"server_settings": {"application_name": application_name}},
    )
    event.listen(engine.sync_engine, "handle_error", _translate)
    event.listen(engine.sync_engine, "do_connect", _connect)
    event.listen(engine.sync_engine.pool, "checkin", _note_idle)
    event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
    return engine
