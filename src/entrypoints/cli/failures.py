"""How a command fails in front of an operator: one clear line on stderr and an exit code,
not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from entrypoints.composition.endpoints import Endpoints

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def guarded(fn: Callable[[], T], *, endpoints: Endpoints | None = None) -> T:
    """Runs `fn`; the failures an operator can cause or fix (a bad setting, a refused
    migration, a domain rule, and with `endpoints` a database or Redis that does not answer)
    print their message and exit."""
    try:
        return fn()
    except Exception as error:
        explained = _explained(error, endpoints)
        if explained is None:
            raise
        fail(*explained)


def _explained(error: Exception, endpoints: Endpoints | None) -> tuple[str, int] | None:
    # The error types are imported here, on the way out: `croupier --help` and `verify` import
    # this module and must not pay for the settings, the migrations and the drivers.
    from adapters.embedded_servers import EmbeddedServerError
    from adapters.personal_data import PersonalDataKeyError
    from adapters.postgres import migrate
    from adapters.postgres.privileges import PrivilegeError
    from domain.errors import DomainError
    from entrypoints.settings import SettingsError

    if isinstance(error, SettingsError):
        return str(error), 2
    if isinstance(error, EmbeddedServerError):
        return f"could not start an embedded server: {error}", 1
    if isinstance(error, DomainError):
        return error.message, 1
    if isinstance(error, PersonalDataKeyError):
        return f"personal data: {error}", 2
    if isinstance(error, (migrate.SchemaChangeRefused, PrivilegeError)):
        return str(error), 1
    if endpoints is not None:
        from entrypoints.cli.unreachable import explain_unreachable

        line = explain_unreachable(error, endpoints)
        if line is not None:
            return line, 1
    return None
