"""How a command fails in front of an operator: one clear line on stderr and an exit code,
not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click

from adapters.embedded_servers import EmbeddedServerError
from adapters.personal_data import PersonalDataKeyError
from adapters.postgres import migrate
from adapters.postgres.privileges import PrivilegeError
from domain.errors import DomainError
from entrypoints.settings import SettingsError

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Runs `fn`; the failures an operator can cause or fix (a bad setting, a refused
    migration, a domain rule) print their message and exit."""
    try:
        return fn()
    except SettingsError as error:
        fail(str(error), 2)
    except EmbeddedServerError as error:
        fail(f"could not start an embedded server: {error}")
    except DomainError as error:
        fail(error.message)
    except PersonalDataKeyError as error:
        fail(f"personal data: {error}", 2)
    except (migrate.SchemaChangeRefused, PrivilegeError) as error:
        fail(str(error))
