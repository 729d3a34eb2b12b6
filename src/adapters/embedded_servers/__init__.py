"""Real PostgreSQL and Valkey servers started from pip packages, for development and tests.

Production never uses this package: it is reached only when no database or Redis URL is set.
Each server lives in its own folder; data, the chosen port and the log survive restarts, so a
developer's balances are still there tomorrow. A second caller finds the running server and
reuses it (a file lock keeps two processes from starting one at the same time).

`postgres` and `valkey` start and stop each server, `processes` holds what both need (the lock,
the remembered port, waiting for the port), and `leases` which processes use the servers, so
that one stops them only when no other is using them."""

from adapters.embedded_servers.leases import Holder, Lease, forget_autostop
from adapters.embedded_servers.postgres import (
    SERVICE_USER,
    ensure_database,
    ensure_postgres,
    postgres_tools,
    start_postgres,
    stop_postgres,
)
from adapters.embedded_servers.processes import STARTUP_TIMEOUT_S, EmbeddedServerError
from adapters.embedded_servers.valkey import ensure_valkey, start_valkey, stop_valkey

__all__ = [
    "SERVICE_USER",
    "STARTUP_TIMEOUT_S",
    "EmbeddedServerError",
    "Holder",
    "Lease",
    "ensure_database",
    "ensure_postgres",
    "ensure_valkey",
    "forget_autostop",
    "postgres_tools",
    "start_postgres",
    "start_valkey",
    "stop_postgres",
    "stop_valkey",
]
