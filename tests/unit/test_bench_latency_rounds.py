"""bench/latency_rounds.py: the p99 at half of peak and a bet alone's, each read over three
alternated windows from a settled server, beside the lean reference under the same load. Each
verdict is the p99 of every Croupier bet of the windows together, not a mean or a median of
their p99s, so a stall in one window counts by the bets it held (issue 19, bench/README.md,
2026-12-05 11:45)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from driving import Measured
from latency_rounds import Rounds, pooled
from table import Row, targets


def _window(latencies: list[float], *, seconds: float = 8.0, cpu: float = 0.5) -> Measured:
    latencies = sorted(latencies)
    return Measured(
        len(latencies) / seconds,
        latencies[len(latencies) // 2],
        latencies[int(len(latencies) * 0.99)],
        ok=len(latencies),
        total=len(latencies),
        service_cpu_ms=cpu,
        postgres_cpu_ms=cpu / 2,
        latencies_ms=latencies,
    )


def test_the_p99_is_over_every_bet_of_the_windows_together() -> None:
    calm = _window([10.0] * 1000)
    # 2.9% of one window stalled: its own p99 is 200 ms, the three windows' together 10 ms
    # (the stall is 29 of 3,000 bets, under 1%): neither that window's nor a mean of three.
    stalled = _window([10.0] * 971 + [200.0] * 29)

    row = pooled("unary at half peak (rounds)", 0, (calm, stalled, calm))

    assert stalled.p99_ms == 200.0
    assert row.p99_ms == 10.0
    assert pooled("x", 0, (calm, stalled, _window([10.0] * 960 + [50.0] * 40))).p99_ms == 50.0


def test_rate_and_cpu_are_over_the_bets_of_every_window() -> None:
    fast = _window([5.0] * 800, seconds=8.0, cpu=0.4)  # 100 bets/s
    slow = _window([5.0] * 200, seconds=8.0, cpu=0.9)  # 25 bets/s

    row = pooled("x", 0, (fast, slow))

    assert row.rate == 1000 / 16
    assert row.service_cpu_ms is not None
    assert row.postgres_cpu_ms is not None
    assert abs(row.service_cpu_ms - (0.4 * 800 + 0.9 * 200) / 1000) < 1e-9
    assert abs(row.postgres_cpu_ms - (0.2 * 800 + 0.45 * 200) / 1000) < 1e-9


def test_a_window_without_cpu_leaves_the_pooled_cpu_unmeasured() -> None:
    unread = _window([5.0] * 100)
    unread.postgres_cpu_ms = None

    row = pooled("x", 0, (_window([5.0] * 100), unread))

    assert row.postgres_cpu_ms is None
    assert row.service_cpu_ms == 0.5


def test_the_rows_name_each_window_beside_the_lean_reference_and_the_disk() -> None:
    half = Rounds(
        ("unary at half peak (rounds)", "lean at half peak (rounds)"),
        "760/s",
        (_window([10.0] * 100), _window([30.0] * 100), _window([12.0] * 100)),
        (_window([4.0] * 100), _window([5.0] * 100), _window([6.0] * 100)),
        ("WAL 3,600 B a bet", "a checkpoint", "WAL 3,500 B a bet"),
    )

    croupier, lean = half.rows(0)

    assert (croupier.name, lean.name) == (
        "unary at half peak (rounds)",
        "lean at half peak (rounds)",
    )
    assert croupier.note == (
        "3 windows at 760/s after a settle: round 1: 10.0 ms (lean 4.0), WAL 3,600 B a bet; "
        "round 2: 30.0 ms (lean 5.0), a checkpoint; round 3: 12.0 ms (lean 6.0), "
        "WAL 3,500 B a bet"
    )
    assert (croupier.p99_ms, lean.p99_ms) == (30.0, 6.0)


def _verdict(rows: list[Row]) -> tuple[str, str, bool]:
    (found,) = [t for t in targets(rows, 32, None) if t[0].startswith("p99 at half of peak")]
    return found


def test_the_verdict_is_the_rounds_with_the_main_case_beside_it() -> None:
    rows = [
        Row("unary at half peak (rate)", 0, 790.0, 18.0, 181.0),
        Row("lean unary at the same rate", 0, 790.0, 2.0, 5.0),
        Row("unary at half peak (rounds)", 0, 770.0, 11.0, 24.2),
        Row("lean at half peak (rounds)", 0, 770.0, 2.0, 6.1),
    ]

    assert _verdict(rows) == (
        "p99 at half of peak (770/s) ≤ 25 ms",
        "24.2 ms (every bet of the alternated rounds, lean reference 6.1 ms); "
        "the main case: 181.0 ms",
        True,
    )
    rows[2].p99_ms = 25.1
    assert _verdict(rows)[2] is False
    rows[2].p99_ms = 20.0
    rows[2].errors = Counter({"UNAVAILABLE": 1})
    assert _verdict(rows)[2] is False


def test_without_rounds_the_main_case_decides_as_before() -> None:
    main = Row("unary at half peak (rate)", 0, 720.0, 9.5, 24.0)

    assert _verdict([main]) == ("p99 at half of peak (720/s) ≤ 25 ms", "24.0 ms", True)
    assert _verdict([]) == ("p99 at half of peak (0/s) ≤ 25 ms", "- (not measured)", False)


def test_a_bet_alone_is_the_rounds_p99_and_the_main_case_statements() -> None:
    main = Row("unary alone", 1, 230.0, 3.9, 10.6, statements=2.0)
    rows = [
        main,
        Row("unary alone (rounds)", 1, 330.0, 3.0, 6.2),
        Row("lean unary alone (rounds)", 1, 900.0, 1.1, 1.5),
    ]

    assert _alone(rows) == (
        "a bet alone: ≤ 2 statements, p99 ≤ 10 ms",
        "2.0 statements; p99 6.2 ms (every bet of the alternated rounds, lean reference 1.5 ms);"
        " the main case: 10.6 ms",
        True,
    )
    main.statements = 2.5  # the road's statements are counted in the main case only
    assert _alone(rows)[2] is False
    main.statements = 2.0
    rows[1].p99_ms = 10.1
    assert _alone(rows)[2] is False


def test_without_rounds_a_bet_alone_is_the_main_case() -> None:
    main = Row("unary alone", 1, 330.0, 3.0, 6.0, statements=2.0)

    assert _alone([main]) == (
        "a bet alone: ≤ 2 statements, p99 ≤ 10 ms",
        "2.0 statements, p99 6.0 ms",
        True,
    )
    assert _alone([])[1] == "- (not measured)"


def _alone(rows: list[Row]) -> tuple[str, str, bool]:
    (found,) = [t for t in targets(rows, 32, None) if t[0].startswith("a bet alone")]
    return found


def test_the_rounds_alternate_and_read_the_disk_around_croupiers_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import latency_rounds

    driven: list[str] = []
    readings = iter(range(100))

    def drive(processes: int, spec: object, in_flight: int, meter: object) -> Measured:
        driven.append(f"{spec}:{processes}:{in_flight}")
        return _window([float(len(driven))] * 10)

    async def read(admin: object) -> int:
        return next(readings)

    monkeypatch.setattr(latency_rounds, "drive", drive)
    monkeypatch.setattr(latency_rounds.disk, "read", read)
    monkeypatch.setattr(latency_rounds.disk, "describe", lambda a, b, n: f"disk {a}-{b} {n}")
    croupier = latency_rounds.Contender("croupier", None)  # type: ignore[arg-type]
    lean = latency_rounds.Contender("lean", None)  # type: ignore[arg-type]

    rounds = latency_rounds.run_rounds(("c", "l"), "1 in flight", croupier, lean, 2, 1, None)  # type: ignore[arg-type]

    assert driven == [
        "croupier:2:1", "lean:2:1", "lean:2:1", "croupier:2:1", "croupier:2:1", "lean:2:1",
    ]  # fmt: skip
    assert [m.p99_ms for m in rounds.croupier] == [1.0, 4.0, 5.0]
    assert [m.p99_ms for m in rounds.lean] == [2.0, 3.0, 6.0]
    assert rounds.disk == ("disk 0-1 10", "disk 2-3 10", "disk 4-5 10")


def test_croupiers_windows_say_their_batches_and_are_read_through_that_meter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import latency_rounds

    class Batches:
        windows = 0

        def window(self) -> str:
            self.windows += 1
            return f"batches {self.windows}"

    batches = Batches()
    meters: list[object] = []

    def drive(processes: int, spec: object, in_flight: int, meter: object) -> Measured:
        meters.append(meter)
        return _window([1.0] * 10)

    async def read(admin: object) -> int:
        return 0

    monkeypatch.setattr(latency_rounds, "drive", drive)
    monkeypatch.setattr(latency_rounds.disk, "read", read)
    monkeypatch.setattr(latency_rounds.disk, "describe", lambda a, b, n: "disk")
    croupier = latency_rounds.Contender("croupier", "cpu", batches)  # type: ignore[arg-type]
    lean = latency_rounds.Contender("lean", "lean cpu")  # type: ignore[arg-type]

    rounds = latency_rounds.run_rounds(("c", "l"), "700/s", croupier, lean, 1, 512, None)  # type: ignore[arg-type]

    # Croupier's windows are driven through the batches' meter (which reads the CPU meter it
    # wraps), the lean reference's through its own.
    assert meters == [batches, "lean cpu", "lean cpu", batches, batches, "lean cpu"]
    assert rounds.disk == ("disk; batches 1", "disk; batches 2", "disk; batches 3")
