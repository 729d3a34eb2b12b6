"""Schema changes go through Alembic only; this runs them with the app's own database URL."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.engine import async_url
from adapters.postgres.errors import sqlstate

INSUFFICIENT_PRIVILEGE = "42501"

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str, personal: PersonalDataCipher | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = async_url(url)
    # Revisions that seal or open personal data take the keys from here (0013).
    config.attributes["personal_data"] = personal
    return config


def _in_thread(fn, *args) -> None:  # type: ignore[no-untyped-def]
    # Alembic's async env calls asyncio.run(); run it off the caller's event loop if there is one.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)
        return
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


class SchemaChangeRefused(Exception):
    """The role connected may not change the schema (it is the services' least-privilege
    role) and the schema is not current."""


def upgrade(
    url: str, revision: str = "head", *, personal: PersonalDataCipher | None = None
) -> None:
    try:
        _in_thread(command.upgrade, alembic_config(url, personal), revision)
    except DBAPIError as error:
        if sqlstate(error) != INSUFFICIENT_PRIVILEGE:
            raise
        raise SchemaChangeRefused(
            "the database schema is not current and this role may not change it: run"
            " `croupier db upgrade` and `croupier db grant ROLE` as the schema's owner first"
        ) from error


def downgrade(url: str, revision: str, *, personal: PersonalDataCipher | None = None) -> None:
    _in_thread(command.downgrade, alembic_config(url, personal), revision)


def revisions() -> list[str]:
    """All revision ids, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused/unused"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def current_revision(url: str) -> str | None:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def is_up_to_date(url: str) -> bool:
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    return await current_revision(url) in heads
