"""How a setting is declared: a field of one of the area classes (servers.py, keys.py, …) with
its default, its constraints and a one-line doc, through `setting()` below. The variable's name
is the field's, upper-cased, after `PREFIX`; the loader, the error messages and the table in
docs/configuration.md all read these declarations, so nothing about a setting is written twice.

The declarations are pydantic dataclasses: pydantic (already in the lock through aiogram)
turns the environment's strings into typed values, checks the constraints, and reports every
bad value at once, each with the field it belongs to."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, JsonValue
from pydantic.fields import FieldInfo

PREFIX = "CROUPIER_"

# Every area class and `Settings` use this: a misspelt keyword is an error, not ignored.
CONFIG = ConfigDict(extra="forbid")


class SettingsError(ValueError):
    """One or more settings are wrong; the message names every offending variable."""


def setting(
    default: Any = None,
    *,
    doc: str,
    shown: str | None = None,
    secret: bool = False,
    env: str | None = None,
    factory: Any = None,
    **constraints: Any,
) -> Any:
    """A setting's declaration: `default` (or `factory` for a mutable one), `doc` (the
    sentence of the configuration table), `shown` (how the default reads there, when the
    value itself says nothing, e.g. "(embedded)" for None), `secret` (never in a repr or an
    error message), `env` (the variable without the prefix, when it is not the field's name
    upper-cased), and pydantic's constraints (`ge`, `le`, `min_length`, …)."""
    extra: dict[str, JsonValue] = {
        key: value for key, value in (("shown", shown), ("env", env)) if value is not None
    }
    if factory is not None:
        return Field(
            default_factory=factory,
            description=doc,
            repr=not secret,
            json_schema_extra=extra or None,
            **constraints,
        )
    return Field(
        default, description=doc, repr=not secret, json_schema_extra=extra or None, **constraints
    )


def _extra(field: FieldInfo, key: str) -> str | None:
    extra = field.json_schema_extra
    value = extra.get(key) if isinstance(extra, dict) else None
    return value if isinstance(value, str) else None


def variable(name: str, field: FieldInfo) -> str:
    """The environment variable of the field `name`."""
    return PREFIX + (_extra(field, "env") or name.upper())


def is_secret(field: FieldInfo) -> bool:
    return field.repr is False


def shown_default(field: FieldInfo) -> str | None:
    return _extra(field, "shown")
