"""The SQLAlchemy async engine over asyncpg."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accept the libpq form (postgresql://…, as every other tool prints it) and pick the
    asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+asyncpg"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 20, max_overflow: int = 20) -> AsyncEngine:
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        # The money path relies on READ COMMITTED plus conditional updates and row locks;
        # say so rather than inherit whatever the server's default is.
        isolation_level="READ COMMITTED",
        connect_args={"server_settings": {"application_name": "croupier"}},
    )
