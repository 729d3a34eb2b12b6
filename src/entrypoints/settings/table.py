"""The configuration table of docs/configuration.md, written from the declarations.

    python -m entrypoints.settings.table          rewrite the table between the markers
    python -m entrypoints.settings.table --check  exit 1 with a diff when it is stale

(`./dev settings [--check]`); tests/unit/test_settings.py runs the check."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import enum
import sys
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from entrypoints.settings.declaring import shown_default, variable
from entrypoints.settings.model import AREAS, FIELDS
from entrypoints.settings.values import written

START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"
CONFIGURATION = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def table() -> str:
    """The text between the markers: one table per area, under the area's title."""
    parts: list[str] = []
    for area in AREAS:
        title = (area.__doc__ or area.__name__).strip().splitlines()[0]
        parts += [
            f"### {title}",
            "",
            "| Variable | Default | Allowed | Meaning |",
            "|---|---|---|---|",
        ]
        for field in dataclasses.fields(area):
            info = FIELDS[field.name]
            cells = (
                f"`{variable(field.name, info)}`",
                _default(info),
                _allowed(info),
                info.description or "",
            )
            parts.append("| " + " | ".join(cells) + " |")
        parts.append("")
    return "\n".join(parts)


def _default(info: FieldInfo) -> str:
    shown = shown_default(info)
    if shown is not None:
        return shown
    value = info.get_default(call_default_factory=True)
    return f"`{_written(value)}`"


def _written(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return written(value)
    return str(value)


def _allowed(info: FieldInfo) -> str:
    """What the type and the constraints admit, for the kinds of value that have a short
    answer; the meaning says the rest."""
    bounds = {type(item).__name__: item for item in info.metadata}
    low = _bound(bounds, "Ge", "ge", "") or _bound(bounds, "Gt", "gt", "above ")
    high = _bound(bounds, "Le", "le", "") or _bound(bounds, "Lt", "lt", "below ")
    if low and high:
        return f"{low}-{high}" if not low.startswith("above") else f"{low}, {high}"
    if "MinLen" in bounds:
        return f"at least {bounds['MinLen'].min_length} characters"
    choices = list(_choices(info.annotation))
    if choices:
        return ", ".join(f"`{choice}`" for choice in choices)
    if typing.get_origin(info.annotation) is Mapping:
        return "`CODE=AMOUNT,…`"  # the only mappings are amounts per currency
    return ""


def _bound(bounds: dict[str, Any], kind: str, attribute: str, words: str) -> str:
    item = bounds.get(kind)
    return "" if item is None else f"{words}{_written(getattr(item, attribute))}"


def _choices(annotation: Any) -> Iterator[str]:
    for kind in (annotation, *typing.get_args(annotation)):
        if kind is bool:
            yield from ("true", "false")
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            yield from (str(member.value) for member in kind)
        elif typing.get_origin(kind) is typing.Literal:
            yield from (str(choice) for choice in typing.get_args(kind))


def replaced(text: str) -> str:
    """`text` (the whole configuration page) with a fresh table between the markers."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}{END}{tail}"


def stale(text: str) -> str:
    """A unified diff from the page's table to the declarations' (empty when current)."""
    return "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            replaced(text).splitlines(keepends=True),
            "docs/configuration.md",
            "from the declarations",
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale table")
    check = parser.parse_args(argv).check
    text = CONFIGURATION.read_text()
    diff = stale(text)
    if check:
        sys.stdout.write(diff)
        return 1 if diff else 0
    CONFIGURATION.write_text(replaced(text))
    print("docs/configuration.md: table " + ("rewritten" if diff else "already current"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
