"""Reading the settings from the environment. A bad or missing required value fails at start
with a message naming the variable (never its value when it is a secret), every one at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from entrypoints.settings.declaring import SettingsError, is_secret, variable
from entrypoints.settings.model import FIELDS, Settings


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, field in FIELDS.items():
        value = env.get(variable(name, field), "").strip()
        if value:  # set but empty counts as unset
            values[name] = value
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = "\n  ".join(_problem(detail) for detail in error.errors())
        raise SettingsError("invalid configuration:\n  " + problems) from None


def _problem(detail: ErrorDetails) -> str:
    reason = detail.get("ctx", {}).get("error") if detail["type"] == "value_error" else None
    message = str(reason) if reason is not None else detail["msg"]
    if not detail["loc"] or detail["loc"][0] not in FIELDS:
        return message  # a check across settings names its variables itself
    name, *inside = (str(part) for part in detail["loc"])
    field = FIELDS[name]
    shown = variable(name, field)
    if inside:
        shown += f" ({' '.join(inside)})"
    elif not is_secret(field):
        shown += f"={detail['input']!r}"
    return f"{shown}: {message}"
