"""One line for a database or Redis the command cannot reach: the setting, the address it
tried, why, and what to do; not the driver's 150-line traceback.

Which server failed is read from the error itself: the drivers' own connection errors
(asyncpg's refusals, redis-py's ConnectionError), or an OSError raised inside a driver's
code (asyncpg lets a refused or unresolvable address through as the socket's error). Any
other error is not this module's to explain."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from entrypoints.composition.endpoints import Endpoints

Server = Literal["database", "redis"]


def explain_unreachable(error: BaseException, endpoints: Endpoints) -> str | None:
    """The line to print when `error` says a server could not be reached, else None."""
    from entrypoints.cli.environment import safe_url

    for cause in _chain(error):
        server = _server_of(cause)
        if server is None:
            continue
        # The socket's own error, where the driver wrapped one, says it best.
        reason = _reason(next((c for c in _chain(cause) if isinstance(c, OSError)), cause))
        if server == "database":
            where, setting, program = endpoints.database_url, "DATABASE_URL", "PostgreSQL"
            embedded = endpoints.embedded_postgres
        else:
            where, setting, program = endpoints.redis_url, "REDIS_URL", "Redis"
            embedded = endpoints.embedded_redis
        if embedded:
            return (
                f"cannot reach the embedded {program} at {safe_url(where)} ({reason}): run "
                f"`croupier servers stop` and try again, or set CROUPIER_{setting}"
            )
        return (
            f"cannot reach {program} at {safe_url(where)} ({reason}): check CROUPIER_{setting} "
            f"(host, port, user, password, database) and that {program} runs there"
        )
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what caused it (SQLAlchemy wraps the driver's error in `orig`)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        todo.extend(
            [
                orig if isinstance(orig, BaseException) else None,
                current.__cause__,
                current.__context__,
            ]
        )


def _server_of(error: BaseException) -> Server | None:
    module = type(error).__module__
    if module.startswith("redis.") and _is_redis_connection_error(error):
        return "redis"
    if module.startswith("asyncpg.") and _is_postgres_refusal(error):
        return "database"
    if isinstance(error, OSError):
        raised_in = _modules_of(error.__traceback__)
        if any(name.startswith(("asyncpg", "sqlalchemy")) for name in raised_in):
            return "database"
        if any(name.startswith("redis") for name in raised_in):
            return "redis"
    return None


def _is_redis_connection_error(error: BaseException) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    return isinstance(error, (RedisConnectionError, RedisTimeout))


def _is_postgres_refusal(error: BaseException) -> bool:
    from asyncpg import exceptions as pg

    return isinstance(
        error,
        (
            pg.PostgresConnectionError,
            pg.InvalidAuthorizationSpecificationError,  # wrong user or password
            pg.InvalidCatalogNameError,  # no such database
            pg.CannotConnectNowError,  # starting up or shutting down
            pg.TooManyConnectionsError,
        ),
    )


def _modules_of(trace: TracebackType | None) -> Iterator[str]:
    while trace is not None:
        yield str(trace.tb_frame.f_globals.get("__name__", ""))
        trace = trace.tb_next


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"unknown host: {error.strerror}"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and isinstance(error.errno, int) and error.errno > 0:
        return os.strerror(error.errno).lower()
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return first[:200]
