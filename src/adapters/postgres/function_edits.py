"""Edit a SQL function in place from a migration: its current text (`pg_get_functiondef`) with
some passages replaced, each checked to be found exactly once, created again as it was given
(`CREATE OR REPLACE`, its settings and rights kept; the same signature, so its owner and
grants stay). Undone by the same edits swapped and in reverse order."""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text


def edit_function(signature: str, edits: Sequence[tuple[str, str]], *, forward: bool) -> None:
    """Apply `edits` ((old, new) passages) to the function `signature` (as regprocedure reads
    it), or undo them when `forward` is false."""
    conn = op.get_bind()
    definition = conn.execute(
        text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": signature}
    ).scalar_one()
    steps = edits if forward else [(new, old) for old, new in reversed(edits)]
    for before, after in steps:
        if definition.count(before) != 1:
            raise RuntimeError(f"{signature}: the text to edit was not found once")
        definition = definition.replace(before, after)
    # Sent as is: a function body is no place for bind markers.
    conn.exec_driver_sql(definition)
