"""Edit a SQL function in place from a migration: its current text (`pg_get_functiondef`) with
some passages replaced, each checked to be found exactly once, created again as it was given
(`CREATE OR REPLACE`, its settings and rights kept; the same signature, so its owner and
grants stay). Undone by the same edits swapped and in reverse order.

Migration code, as `sqlscript` is: only revisions import it, and each that does is listed with
its reason in tests/unit/test_migration_imports.py. A change here changes every revision that
uses it, so it is changed only in ways that keep what they do (the stairway test runs them
all both ways)."""

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
    create_function(_edited(signature, edits, forward=forward))


def _edited(signature: str, edits: Sequence[tuple[str, str]], *, forward: bool) -> str:
    definition = function_text(signature)
    steps = edits if forward else [(new, old) for old, new in reversed(edits)]
    for before, after in steps:
        definition = replaced_once(signature, definition, before, after)
    return definition


# Who may execute a function (its ACL's EXECUTE grantees, PUBLIC left out: it has none).
_GRANTEES = text(
    "SELECT quote_ident(r.rolname) FROM pg_proc p, aclexplode(p.proacl) a"
    " JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE p.oid = CAST(:f AS regprocedure) AND a.privilege_type = 'EXECUTE'"
    " AND a.grantee <> p.proowner"
)


def resign_functions(
    changes: Sequence[tuple[str, str, Sequence[tuple[str, str]]]], *, forward: bool
) -> None:
    """Change functions' arguments: each (old signature, new signature, edits) is dropped and
    created again from its current text with `edits` applied (undone when `forward` is
    false), and only whoever could execute it may (the grants copied, PUBLIC revoked). A
    function calling another comes after it in `changes`: dropped first, created last."""
    conn = op.get_bind()
    definitions = []
    for old_signature, new_signature, edits in changes:
        source, target = (
            (old_signature, new_signature) if forward else (new_signature, old_signature)
        )
        definition = _edited(source, edits, forward=forward)
        grantees = conn.execute(_GRANTEES, {"f": source}).scalars().all()
        definitions.append((source, target, definition, grantees))
    for source, _, _, _ in reversed(definitions):
        conn.exec_driver_sql(f"DROP FUNCTION {source}")
    for _, target, definition, grantees in definitions:
        create_function(definition)
        conn.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {target} FROM PUBLIC")
        for grantee in grantees:
            conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {target} TO {grantee}")
