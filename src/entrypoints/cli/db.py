"""`croupier db`: the schema's Alembic migrations and the services' database role."""

from __future__ import annotations

import click

from entrypoints.cli.environment import safe_url, setup, upgrade
from entrypoints.cli.failures import guarded


@click.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))
    guarded(lambda: upgrade(settings, endpoints, revision), endpoints=endpoints)
    click.echo(f"database at {safe_url(endpoints.database_url)} is at {revision}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the schema down to REVISION (`base` empties it)."""
    from adapters.postgres import migrate
    from entrypoints.composition.personal_data import personal_data_cipher
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))
    guarded(
        lambda: migrate.downgrade(
            endpoints.database_url, revision, personal=personal_data_cipher(settings)
        ),
        endpoints=endpoints,
    )
    click.echo(f"database at {safe_url(endpoints.database_url)} is at {revision}")


@db.command()
@click.argument("role")
def grant(role: str) -> None:
    """Give ROLE exactly what the services need (read and insert everywhere, update and delete
    only where they do, no schema changes). Connect as the schema's owner; run after every
    `db upgrade`, as often as you like: the role ends up with these privileges and no others."""
    import asyncio

    from adapters.postgres.engine import create_engine
    from adapters.postgres.privileges import grant_app_role
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))

    async def go() -> list[str]:
        engine = create_engine(endpoints.database_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                return await grant_app_role(conn, role)
        finally:
            await engine.dispose()

    tables = guarded(lambda: asyncio.run(go()), endpoints=endpoints)
    click.echo(f"role {role} granted the services' privileges on {len(tables)} tables")


@db.command()
def current() -> None:
    """Print the schema revision of the database."""
    import asyncio

    from adapters.postgres import migrate
    from entrypoints.settings import load_settings

    settings = guarded(load_settings)
    endpoints = guarded(lambda: setup(settings))
    revision = guarded(
        lambda: asyncio.run(migrate.current_revision(endpoints.database_url)), endpoints=endpoints
    )
    click.echo(revision or "(empty)")
