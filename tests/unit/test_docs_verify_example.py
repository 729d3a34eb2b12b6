"""The `croupier verify` example of docs/fairness.md prints what the docs show (issue 20: the
docs showed a one-line summary while the command prints a table)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from entrypoints.cli import main

FAIRNESS = Path(__file__).resolve().parents[2] / "docs" / "fairness.md"
_EXAMPLE = re.compile(r"```sh\n(croupier verify .*?)```\n\nprints[^\n]*\n\n```text\n(.*?)```", re.S)


def test_the_documented_verify_example_prints_what_the_docs_show():
    found = _EXAMPLE.search(FAIRNESS.read_text())
    assert found, "docs/fairness.md: a `croupier verify` block followed by its output block"
    command, shown = found.groups()
    args = shlex.split(command.replace("\\\n", " "))[1:]
    # No database: verify is offline, whatever the URL says.
    result = CliRunner().invoke(
        main, args, env={"CROUPIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    assert result.exit_code == 0, result.output
    assert result.output == shown
