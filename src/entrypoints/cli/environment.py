"""What most commands do before their own work: read the settings, find (or start) the
database and Redis, bring the schema up to date, and open a dishka container for the
command's lifetime.

Every import beyond click is made inside the function that needs it (see "Add a command" in
CONTRIBUTING.md): `croupier --help` and `croupier verify` import this module too, and must not
pay for the drivers, the migrations and the container's providers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from entrypoints.cli.failures import guarded

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.settings import Settings

T = TypeVar("T")


def setup(settings: Settings) -> Endpoints:
    from entrypoints.composition.endpoints import resolve_endpoints
    from entrypoints.observability.logs import configure_logging

    configure_logging(settings)
    return resolve_endpoints(settings)


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
