"""bench/table.py says, beside a missed throughput target, how far the machine's CPU lets the
case go: at the case's CPU a bet (everything the machine ran, machine.py) the CPUs fill at
some rate, and that rate against the target's reference is the most the case could read
without costing less a bet. So a run says by itself whether a miss is latency-bound (the
ceiling above the target) or CPU-bound (below it), and what CPU a bet the target asks
(issue 19)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from table import Row, targets


def _target(rows: list[Row], starts: str) -> tuple[str, str, bool]:
    (found,) = [t for t in targets(rows, 32, None) if t[0].startswith(starts)]
    return found


def _stream_rows(rate: float, machine_ms: float | None) -> list[Row]:
    return [
        Row("lean stream batched", 32, 4509.0, 6.9, 14.4),
        Row("lean stream batched", 64, 7110.0, 8.4, 17.2),
        Row("stream uniform", 32, rate, 14.1, 23.8, machine_ms=machine_ms, cpus=2),
        Row("stream uniform", 64, 2889.0, 21.7, 34.0),
    ]


def test_a_missed_target_says_what_the_machines_cpu_allows_and_what_it_would_need() -> None:
    _, measured, met = _target(_stream_rows(2186.0, 0.629), "stream")

    assert met is False
    # 2 CPUs / 0.629 ms = 3,180 bets/s, 0.45 × of 7,110; 0.7 × 7,110 needs 2000 / 4977 ms.
    assert measured == (
        "0.41 ×; by the machine's CPU at most 0.45 × (stream uniform, 32 in flight: "
        "0.629 ms a bet fills 2 CPUs at 3,180/s; 0.7 × needs ≤ 0.402 ms a bet)"
    )


def test_a_met_target_or_a_case_that_read_no_machine_says_its_ratio_alone() -> None:
    met_rows = _stream_rows(5200.0, 0.30)
    met_rows[-1] = Row("stream uniform", 64, 5200.0, 8.0, 15.0)

    assert _target(met_rows, "stream")[1:] == ("0.73 ×", True)
    assert _target(_stream_rows(2186.0, None), "stream")[1:] == ("0.41 ×", False)


def test_the_hot_target_takes_the_case_whose_cpu_a_bet_goes_furthest() -> None:
    rows = [
        Row("pgbench one player", 8, 2735.0, 2.3, 10.6),
        Row("unary hot", 32, 2464.0, 12.2, 23.1, machine_ms=0.615, cpus=2),
        Row("stream hot", 32, 2192.0, 13.7, 25.3, machine_ms=0.500, cpus=2),
    ]

    _, measured, met = _target(rows, "one hot player")

    assert met is False
    assert measured.startswith("0.90 ×; by the machine's CPU at most 1.46 × (stream hot, 32 ")
    assert measured.endswith("fills 2 CPUs at 4,000/s; 2 × needs ≤ 0.366 ms a bet)")


def test_the_batch_target_reads_its_message_case() -> None:
    rows = [
        Row("pgbench uniform", 64, 9352.0, 6.0, 15.4),
        Row("batch uniform", 8, 4500.0, 180.3, 302.3, machine_ms=0.361, cpus=2),
    ]

    _, measured, met = _target(rows, "batch RPC")

    assert met is False
    assert measured == (
        "0.48 ×; by the machine's CPU at most 0.59 × (batch uniform, 8 in flight: 0.361 ms a"
        " bet fills 2 CPUs at 5,540/s; 1.5 × needs ≤ 0.143 ms a bet)"
    )
