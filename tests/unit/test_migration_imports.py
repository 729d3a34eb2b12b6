"""Migrations import no runtime code of the project (issue 17): a frozen revision that imports
a module changes whenever that module does, so it would no longer do what it did when it was
written. The imports they make today are listed below, each with its reason; a new one fails
here, and so does a listed one that is gone (the list stays the truth)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
MIGRATIONS = SRC / "adapters" / "postgres" / "migrations"
PROJECT = ("adapters", "application", "domain", "entrypoints")
SQLSCRIPT = "adapters.postgres.sqlscript"
FUNCTION_EDITS = "adapters.postgres.function_edits"

# The migrations' own statement splitter: asyncpg prepares one statement at a time, so a
# script is split at top-level semicolons. It is migration code that lives beside them (it
# imports alembic.op), not runtime code: test_sqlscript_is_migration_code checks nothing else
# imports it.
_SPLITTER = {(SQLSCRIPT, "execute_script")}


# The migrations' own way to edit a SQL function in place (its current text with passages
# replaced, each found once) or to load an earlier revision's text rather than copy it: like
# the splitter, migration code beside them (it imports alembic.op), and nothing else imports
# it (test_migration_helpers_are_migration_code).
def _edits(*names: str) -> set[tuple[str, str]]:
    return {(FUNCTION_EDITS, name) for name in names}


# Revision 0013 seals existing personal data (and opens it again on downgrade) with the very
# cipher, places, blind index, identity digest and identity normalisation the services use to
# read it back; a copy frozen in the revision would have to stay byte-identical to the runtime
# code anyway. So these names are part of what 0013 does: changing them changes the revision.
_SEALING = {
    ("adapters.personal_data", "PersonalDataCipher"),
    ("adapters.postgres.personal", "destination_place"),
    ("adapters.postgres.personal", "identity_digest"),
    ("adapters.postgres.personal", "totp_place"),
    ("adapters.postgres.personal", "username_index"),
    ("adapters.postgres.personal", "username_place"),
    ("domain.errors", "InvalidRequest"),
    ("domain.risk", "normalize_identity"),
}

ALLOWED: dict[str, set[tuple[str, str]]] = {
    "env.py": set(),
    "versions/0001_ledger.py": _SPLITTER,
    "versions/0002_bets.py": _SPLITTER,
    "versions/0003_seamless.py": _SPLITTER,
    "versions/0004_api_keys.py": _SPLITTER,
    "versions/0005_staff.py": _SPLITTER,
    "versions/0007_onboarding.py": _SPLITTER,
    "versions/0008_responsible.py": _SPLITTER,
    "versions/0009_payments.py": _SPLITTER,
    "versions/0010_withdrawals.py": _SPLITTER,
    "versions/0011_risk.py": _SPLITTER,
    "versions/0012_outbox.py": _SPLITTER,
    "versions/0013_personal_data.py": _SPLITTER | _SEALING,
    "versions/0014_ledger_post_definer.py": _SPLITTER,
    "versions/0015_players_service_keys.py": _SPLITTER,
    "versions/0017_staff_second_factor.py": _SPLITTER,
    "versions/0022_outbox_per_unit_of_work.py": _SPLITTER,
    "versions/0036_promotion_books.py": _edits("earlier_revision"),
    "versions/0050_one_lock_order.py": _edits("edit_function"),
    "versions/0063_place_bets_fewer_statements.py": _edits("edit_function"),
    "versions/0064_ledger_rows_from_the_write.py": _edits(
        "create_function", "function_text", "replaced_once"
    ),
    "versions/0065_snapshot_read_as_json.py": _edits("earlier_revision", "edit_function"),
    "versions/0066_place_bets_typed_arrays.py": _edits("earlier_revision", "resign_functions"),
    "versions/0067_place_bets_statements_merged.py": _edits("earlier_revision", "edit_function"),
}


def _package(path: Path) -> list[str]:
    try:
        return list(path.parent.relative_to(SRC).parts)
    except ValueError:  # a file outside src (the scan's own test)
        return []


def _imports(path: Path) -> Iterator[tuple[str, str]]:
    """(module, name) for every import in the file, at any depth; `import a.b` gives
    ("a.b", "*"), and a relative import is resolved against the file's package."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "*"
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                package = _package(path)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([module] if module else [])])
            for alias in node.names:
                yield module, alias.name


def _project_imports(path: Path) -> set[tuple[str, str]]:
    return {(m, n) for m, n in _imports(path) if m.split(".")[0] in PROJECT}


def _migration_files() -> dict[str, Path]:
    files = [MIGRATIONS / "env.py", *sorted((MIGRATIONS / "versions").glob("*.py"))]
    return {p.relative_to(MIGRATIONS).as_posix(): p for p in files if p.name != "__init__.py"}


def test_migrations_import_no_project_code_beyond_the_listed_exceptions() -> None:
    found = {name: _project_imports(path) for name, path in _migration_files().items()}
    assert found, "no migrations found"
    new = {name: sorted(i - ALLOWED.get(name, set())) for name, i in found.items()}
    new = {name: imports for name, imports in new.items() if imports}
    assert not new, (
        f"migrations import project code: {new}. A revision must not depend on runtime code"
        " (copy what it needs into the revision, as it is today); an exception needs its"
        " reason in ALLOWED above"
    )
    gone = {name: sorted(ALLOWED[name] - found.get(name, set())) for name in ALLOWED}
    gone = {name: imports for name, imports in gone.items() if imports}
    assert not gone, f"listed imports no migration makes any more (drop them): {gone}"


def test_migration_helpers_are_migration_code() -> None:
    helpers = (SQLSCRIPT, FUNCTION_EDITS)
    importers = sorted(
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if MIGRATIONS not in path.parents
        and any(m == h or m.startswith(h + ".") for m, _ in _imports(path) for h in helpers)
    )
    assert importers == [], f"only migrations may use {helpers}; also imported by {importers}"


def test_the_import_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "0099_sample.py"
    sample.write_text(
        "import alembic\nimport domain.money\nfrom adapters.postgres import ledger\n"
        "def upgrade():\n    from application.ports import Clock\n"
    )
    assert _project_imports(sample) == {
        ("domain.money", "*"),
        ("adapters.postgres", "ledger"),
        ("application.ports", "Clock"),
    }
