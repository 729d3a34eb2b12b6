"""Edit a SQL function in place from a migration: its current text (`pg_get_functiondef`) with
some passages replaced, each checked to be found exactly once, created again as it was given
(`CREATE OR REPLACE`, its settings and rights kept; the same signature, so its owner and
grants stay). Undone by the same edits swapped and in reverse order."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op
from sqlalchemy import text


def earlier_revision(here: str, filename: str) -> ModuleType:
    """The module of an earlier revision (`filename`, beside the migration file `here`), loaded
    so a revision can take a function's text from the one that wrote it rather than copy it
    (migration modules' names start with digits: no import statement reaches them)."""
    path = Path(here).with_name(filename)
    spec = importlib.util.spec_from_file_location(f"croupier_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def function_text(signature: str) -> str:
    """The function's definition as `pg_get_functiondef` gives it (`signature` as
    regprocedure reads it)."""
    return str(
        op.get_bind()
        .execute(text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": signature})
        .scalar_one()
    )


def replaced_once(signature: str, definition: str, before: str, after: str) -> str:
    """`definition` with `before` replaced by `after`, refused unless found exactly once."""
    if definition.count(before) != 1:
        raise RuntimeError(f"{signature}: the text to edit was not found once")
    return definition.replace(before, after)


def create_function(definition: str) -> None:
    # Sent as is: a function body is no place for bind markers.
    op.get_bind().exec_driver_sql(definition)


def edit_function(signature: str, edits: Sequence[tuple[str, str]], *, forward: bool) -> None:
    """Apply `edits` ((old, new) passages) to the function `signature` (as regprocedure reads
    it), or undo them when `forward` is false."""
    definition = function_text(signature)
    steps = edits if forward else [(new, old) for old, new in reversed(edits)]
    for before, after in steps:
        definition = replaced_once(signature, definition, before, after)
    create_function(definition)
