"""Where in time a run's slow bets were, and what the processes were doing then: reads a trace
folder written by `service_cost.py --trace DIR` (the load generator's `loadgen-<pid>.json`, each
bet's start in the window and its latency; each process's `proc-<pid>.txt` from
`stall_probe/sitecustomize.py`, the load generator's among them) and prints the p99, the
quarter-seconds of the window where the bets at or over it started, and every collector pass
of 3 ms or more and loop lag of 10 ms or more inside the window, process by process, in seconds
from the window's start:

    .venv/bin/python bench/stalls.py bench/.data/trace/run-1 [bench/.data/trace]

The second folder is where the service's files are when it is not the first (service_cost.py
keeps one service over its `--repeat` runs: its files in DIR, each run's load in DIR/run-N)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from driving import percentiles

QUARTER = 4  # buckets a second


def summary(run: Path, processes: Path | None = None) -> list[str]:
    lines: list[str] = []
    probes = sorted({*run.glob("proc-*.txt"), *(processes or run).glob("proc-*.txt")})
    for load in sorted(run.glob("loadgen-*.json")):
        trace = json.loads(load.read_text())
        start, bets = trace["start"], trace["bets"]
        if not bets:
            continue
        _, p99 = percentiles([latency for _, latency in bets])
        slow = Counter(int(at * QUARTER) / QUARTER for at, latency in bets if latency >= p99)
        end = max(at for at, _ in bets)
        lines.append(
            f"{load.name}: {len(bets)} bets, p99 {p99:.1f} ms; bets at or over it by where "
            "they started (s: bets): "
            + ", ".join(f"{at:.2f}: {count}" for at, count in sorted(slow.items()))
        )
        for probe in probes:
            lines.extend(_process(probe, start, end))
    return lines


def _process(probe: Path, start: float, end: float) -> list[str]:
    text = probe.read_text().splitlines()
    if not text:
        return []
    name = text[0].removeprefix("argv ").split(" ")[-2:]
    passes, lags = [], []
    for line in text[1:]:
        kind, wall, *rest = line.split()
        at = float(wall) - start
        if not 0 <= at <= end:
            continue
        if kind == "gc" and float(rest[0]) >= 3:
            passes.append(f"{at:.2f}: {float(rest[0]):.0f} ms {rest[1]} {rest[2]}")
        elif kind == "lag" and float(rest[0]) >= 10:
            lags.append(f"{at:.2f}: {float(rest[0]):.0f}")
    label = f"  {probe.name} ({' '.join(name)})"
    return [
        f"{label}: collector passes >= 3 ms: " + (", ".join(passes) or "none"),
        f"{label}: loop lags >= 10 ms (s: ms): " + (", ".join(lags) or "none"),
    ]


if __name__ == "__main__":
    folders = [Path(arg) for arg in sys.argv[1:3]]
    print("\n".join(summary(folders[0], folders[1] if len(folders) > 1 else None)))
