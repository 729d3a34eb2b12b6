"""bench/table.py reads the half-of-peak target beside its floor: the lean reference driven at
the same rate right after Croupier's case (bench/leanrun.py `lean_at_rate`), so a miss says
how much of the p99 is the stack's and the disk's and how much the service's (issue 19,
bench/README.md, 2026-12-04 23:30). The verdict is still Croupier's p99 against 25 ms alone."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from table import Row, targets

_HALF = "p99 at half of peak"


def _half_peak(rows: list[Row]) -> tuple[str, str, bool]:
    (found,) = [t for t in targets(rows, 32, None) if t[0].startswith(_HALF)]
    return found


def test_the_half_peak_verdict_shows_the_lean_reference_at_the_same_rate() -> None:
    rows = [
        Row("unary at half peak (rate)", 0, 720.0, 9.5, 26.4),
        Row("lean unary at the same rate", 0, 720.0, 1.7, 4.3),
    ]

    name, measured, met = _half_peak(rows)

    assert name == "p99 at half of peak (720/s) ≤ 25 ms"
    assert measured == "26.4 ms (lean reference at the same rate: 4.3 ms)"
    assert met is False


def test_the_verdict_is_croupiers_own_p99_whatever_the_floor() -> None:
    met_alone = _half_peak([Row("unary at half peak (rate)", 0, 720.0, 9.5, 24.0)])
    beside_a_slow_floor = _half_peak(
        [
            Row("unary at half peak (rate)", 0, 720.0, 9.5, 24.0),
            Row("lean unary at the same rate", 0, 720.0, 20.0, 30.0),
        ]
    )

    assert met_alone == ("p99 at half of peak (720/s) ≤ 25 ms", "24.0 ms", True)
    assert beside_a_slow_floor[1] == "24.0 ms (lean reference at the same rate: 30.0 ms)"
    assert beside_a_slow_floor[2] is True
