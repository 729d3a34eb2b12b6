"""What most commands do before their own work: read the settings, find (or start) the
database and Redis, bring the schema up to date, and open a dishka container for the
command's lifetime.

Every import beyond click is made inside the function that needs it (see "Add a command" in
CONTRIBUTING.md): `croupier --help` and `croupier verify` import this module too, and must not
pay for the drivers, the migrations and the container's providers."""

from __future__ import annotations

import atexit
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from entrypoints.cli.failures import guarded

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.settings import Settings

T = TypeVar("T")


_NAMES = {"postgres": "PostgreSQL", "valkey": "Valkey"}


def setup(settings: Settings, *, serving: bool = False, keep_servers: bool = False) -> Endpoints:
    """Logging, and where the database and Redis are (embedded servers started if need be).

    A one-shot command that had to start the embedded servers says so, and gives them up when
    it ends (atexit: after its output, on an error exit too): they stop then unless another
    croupier process uses them. `serving` (`croupier run`, `croupier relay`) prints its own
    banner and gives them up itself, first thing on the way out."""
    from entrypoints.composition.endpoints import resolve_endpoints
    from entrypoints.observability.logs import configure_logging

    configure_logging(settings)
    endpoints = resolve_endpoints(settings, keep_servers=keep_servers)
    lease = endpoints.lease
    if lease is not None:
        if lease.started and not serving:
            started = " and ".join(_NAMES[s] for s in sorted(lease.started))
            click.echo(
                f"started the embedded {started} (data in {settings.data_dir}); "
                "stopping when this command ends unless a croupier process is using them",
                err=True,
            )
        atexit.register(release_servers, settings, endpoints, keep=keep_servers)
    return endpoints


def release_servers(settings: Settings, endpoints: Endpoints, *, keep: bool = False) -> None:
    """Give up this process's use of the embedded servers: stop those a croupier process
    started when no other uses them, and say what happened to the ones this one started.
    Safe to call twice (the second call finds nothing to give up)."""
    from adapters.embedded_servers import stop_postgres, stop_valkey

    lease = endpoints.lease
    if lease is None or not lease.using:
        return
    data_dir = settings.data_dir.resolve()
    started = set(lease.started)
    stopped, holders = lease.give_up(
        {
            "postgres": lambda: stop_postgres(data_dir / "postgres"),
            "valkey": lambda: stop_valkey(data_dir / "valkey"),
        },
        keep=keep,
    )
    if stopped:
        click.echo(f"stopped the embedded {' and '.join(_NAMES[s] for s in stopped)}", err=True)
    left = sorted(started - set(stopped))
    if left:
        users = ", ".join(str(h.pid) for h in holders) if holders and not keep else None
        why = f"croupier process {users} is using them" if users else "--keep-servers"
        click.echo(
            f"left the embedded {' and '.join(_NAMES[s] for s in left)} running ({why})", err=True
        )


def prepared() -> tuple[Settings, Endpoints]:
    """The settings and endpoints of a command that needs the database, the schema at head."""
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))
    guarded(lambda: upgrade(settings, endpoints), endpoints=endpoints)
    return settings, endpoints


def upgrade(settings: Settings, endpoints: Endpoints, revision: str = "head") -> None:
    from adapters.postgres import migrate
    from entrypoints.composition.personal_data import personal_data_cipher

    # The keys go along: a revision may seal personal data already in the database.
    personal = personal_data_cipher(settings)
    migrate.upgrade(endpoints.database_url, revision, personal=personal)


def safe_url(url: str) -> str:
    """The URL to print: without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def with_container(action: Callable[[AsyncContainer], Awaitable[T]]) -> T:
    """Runs `action` with a container of the CLI's providers, closed afterwards."""
    import asyncio

    from entrypoints.composition.containers import make_cli_container

    settings, endpoints = prepared()

    async def go() -> T:
        container = make_cli_container(settings, endpoints)
        try:
            return await action(container)
        finally:
            await container.close()

    return guarded(lambda: asyncio.run(go()), endpoints=endpoints)
