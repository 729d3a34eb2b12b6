"""Where the database and Redis are: the configured URLs, or embedded servers started here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NewType

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.embedded_servers import Lease, ensure_database, start_postgres, start_valkey
from entrypoints.settings import Environment, Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "croupier"

# The engine the admin reports read through: a replica's when CROUPIER_REPORTS_DATABASE_URL is
# set, the primary's otherwise. A type of its own so the container hands it only to reports.
ReportsEngine = NewType("ReportsEngine", AsyncEngine)


@dataclass(frozen=True, slots=True)
class Endpoints:
    database_url: str
    redis_url: str
    embedded_postgres: bool
    embedded_redis: bool
    # This process's use of the embedded servers (None: it uses none), given up on the way out
    # (entrypoints.cli.environment.release_servers): the last user stops what a croupier
    # process started.
    lease: Lease | None = None


def resolve_endpoints(
    settings: Settings, *, database_name: str = EMBEDDED_DATABASE, keep_servers: bool = False
) -> Endpoints:
    """Configured URLs win. Without them (development only) real servers are started from pip
    packages under the data folder; their data survives restarts. `keep_servers`: a server
    this call starts is not stopped when its last user leaves."""
    database_url = settings.database_url
    redis_url = settings.redis_url
    if (database_url is None or redis_url is None) and (
        settings.environment is Environment.PRODUCTION
    ):
        raise RuntimeError("production never starts embedded servers; configure the URLs")
    data_dir = settings.data_dir.resolve()
    lease = Lease(data_dir) if database_url is None or redis_url is None else None
    if database_url is None:
        assert lease is not None
        server = lease.take(
            "postgres", lambda: start_postgres(data_dir / "postgres"), keep=keep_servers
        )
        database_url = ensure_database(server, database_name)
        log.info("embedded PostgreSQL at %s", database_url)
    if redis_url is None:
        assert lease is not None
        redis_url = lease.take(
            "valkey", lambda: start_valkey(data_dir / "valkey"), keep=keep_servers
        )
        log.info("embedded Valkey at %s", redis_url)
    return Endpoints(
        database_url=database_url,
        redis_url=redis_url,
        embedded_postgres=settings.database_url is None,
        embedded_redis=settings.redis_url is None,
        lease=lease,
    )
