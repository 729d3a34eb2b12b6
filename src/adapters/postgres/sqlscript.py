"""Run a multi-statement SQL script through a driver that prepares each statement.

asyncpg prepares every statement, and a prepared statement holds one command, so a migration
script is split at top-level semicolons: not inside quotes, dollar-quoted function bodies or
comments."""

from __future__ import annotations

import re

from alembic import op

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]*\$")


def split_statements(script: str) -> list[str]:
    statements: list[str] = []
    start = i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "'":
            i = script.index("'", i + 1) + 1
            while i < n and script[i] == "'":  # '' is an escaped quote inside a literal
                i = script.index("'", i + 1) + 1
        elif ch == "$" and (m := _DOLLAR_TAG.match(script, i)):
            i = script.index(m.group(), m.end()) + len(m.group())
        elif ch == ";":
            statements.append(script[start:i])
            i += 1
            start = i
        else:
            i += 1
    statements.append(script[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(
        line.strip() and not line.strip().startswith("--") for line in statement.splitlines()
    )


def execute_script(script: str) -> None:
    for statement in split_statements(script):
        op.execute(statement)
