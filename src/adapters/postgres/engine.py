"""The SQLAlchemy async engine over asyncpg."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.postgres.errors import sqlstate
from domain.errors import InvalidRequest


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


def _translate_bad_input(context: ExceptionContext) -> None:
    error = context.sqlalchemy_exception
    if isinstance(error, DBAPIError):
        message = _BAD_INPUT.get(sqlstate(error) or "")
        if message is not None:
            raise InvalidRequest(message) from error


def create_engine(url: str, *, pool_size: int = 20, max_overflow: int = 20) -> AsyncEngine:
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        # The money path relies on READ COMMITTED plus conditional updates and row locks;
        # say so rather than inherit whatever the server's default is.
        isolation_level="READ COMMITTED",
        connect_args={"server_settings": {"application_name": "croupier"}},
    )
    event.listen(engine.sync_engine, "handle_error", _translate_bad_input)
    return engine
