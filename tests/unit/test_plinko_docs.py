"""docs/fairness.md's plinko section says what the code does: its table of multipliers and
exact RTPs is the game's, and its `croupier verify` example prints what it shows."""

from __future__ import annotations

import re
import shlex
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner

from domain.games.base import Selection
from domain.games.plinko import REFERENCE_EDGE, TABLES, Plinko
from entrypoints.cli import main

FAIRNESS = Path(__file__).resolve().parents[2] / "docs" / "fairness.md"
_ROW = re.compile(r"^\| (\d+) \| (low|medium|high) \| ([\d. ]+) \| ([\d.]+)% \|$", re.M)
_EXAMPLE = re.compile(
    r"```sh\n(croupier verify --game plinko .*?)```\n\nprints[^\n]*\n\n```text\n(.*?)```", re.S
)


def _section() -> str:
    return FAIRNESS.read_text().split("## Plinko", 1)[1]


def test_the_documented_tables_and_rtps_are_the_games():
    documented = {(int(r), risk): (half, rtp) for r, risk, half, rtp in _ROW.findall(_section())}
    assert set(documented) == set(TABLES)
    plinko = Plinko()
    for (rows, risk), table in TABLES.items():
        half, rtp = documented[(rows, risk)]
        assert [Fraction(m) for m in half.split()] == list(table[: rows // 2 + 1])
        exact = plinko.rtp(Selection(risk, rows), REFERENCE_EDGE)
        assert Fraction(Decimal(rtp)) / 100 == exact, (rows, risk)


def test_the_documented_verify_example_prints_what_the_docs_show():
    found = _EXAMPLE.search(_section())
    assert found, "docs/fairness.md, Plinko: a `croupier verify` block and its output"
    command, shown = found.groups()
    args = shlex.split(command.replace("\\\n", " "))[1:]
    result = CliRunner().invoke(
        main, args, env={"CROUPIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    assert result.exit_code == 0, result.output
    assert result.output == shown
