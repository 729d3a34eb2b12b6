"""Running a case: the load-generator processes (bench/loadgen.py, which never imports the
application), their results put together, and the CPU counters read over the same window."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Protocol

from cpu import CpuReading, per_bet_ms, per_process_ms
from loadgen import LoadResult, LoadSpec

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


class Meter(Protocol):
    """What `drive` reads at the window's start and end (a `CpuMeter`, or one wrapping it)."""

    def read(self) -> CpuReading: ...


@dataclass(slots=True)
class Measured:
    rate: float  # bets/s inside the window
    p50_ms: float
    p99_ms: float
    errors: Counter[str] = field(default_factory=Counter)
    ok: int = 0  # bets inside the window
    total: int = 0  # every bet that succeeded, warm-up and drain included
    service_cpu_ms: float | None = None  # a bet, over the window
    postgres_cpu_ms: float | None = None
    # The service's CPU a bet process by process (a meter with `breakdown`), e.g. the relay's.
    process_cpu_ms: dict[str, float] = field(default_factory=dict)
    # Every bet's latency inside the window, sorted (latency_rounds.py pools several windows').
    latencies_ms: list[float] = field(default_factory=list, repr=False)


def split(total: int, parts: int) -> list[int]:
    return [
        total // parts + (i < total % parts)
        for i in range(parts)
        if total // parts + (i < total % parts)
    ]


def percentiles(latencies_ms: list[float]) -> tuple[float, float]:
    latencies = sorted(latencies_ms)
    if not latencies:
        return float("nan"), 0.0
    return statistics.median(latencies), latencies[
        min(len(latencies) - 1, int(len(latencies) * 0.99))
    ]


class _WindowReadings:
    """Reads the first load generator's stderr: CPU counters at `window-start` and
    `window-end`, every other line passed on."""

    def __init__(self, stream: IO[str], meter: Meter | None) -> None:
        self.start: CpuReading | None = None
        self.end: CpuReading | None = None
        self._stream = stream
        self._meter = meter
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for line in self._stream:
            word = line.strip()
            if word == "window-start":
                self.start = self._meter.read() if self._meter else None
            elif word == "window-end":
                self.end = self._meter.read() if self._meter else None
            else:
                sys.stderr.write(line)

    def join(self) -> None:
        self._thread.join()


def drive(
    processes: int,
    make: Callable[[int, int], LoadSpec],
    concurrency: int,
    meter: Meter | None = None,
) -> Measured:
    """Run the load in `processes` load-generator processes; bets/s, p50, p99, errors and,
    with a meter, the CPU a bet of the service and of PostgreSQL over the measured window."""
    shares = split(concurrency, processes)
    children = [
        subprocess.Popen(
            [sys.executable, str(BENCH / "loadgen.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if i == 0 else None,
            text=True,
            cwd=ROOT,
        )
        for i, _ in enumerate(shares)
    ]
    assert children[0].stderr is not None
    window = _WindowReadings(children[0].stderr, meter)
    for child, (i, share) in zip(children, enumerate(shares), strict=True):
        assert child.stdin is not None
        child.stdin.write(json.dumps(asdict(make(share, i))))
        child.stdin.close()
    results: list[LoadResult] = []
    for child in children:
        assert child.stdout is not None
        output = child.stdout.read()
        if child.wait() != 0:
            raise RuntimeError(f"a load generator failed (exit {child.returncode})")
        results.append(LoadResult.from_json(output))
    window.join()
    spec = make(concurrency, 0)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    ok = sum(r.ok for r in results)
    if meter is not None and ok and (window.start is None or window.end is None):
        print("  (no CPU reading: the load generator did not mark its window)", file=sys.stderr)
    p50, p99 = percentiles(latencies)
    service_ms, postgres_ms = per_bet_ms(window.start, window.end, ok)
    return Measured(
        ok / spec.seconds,
        p50,
        p99,
        errors,
        ok,
        sum(r.total for r in results),
        service_ms,
        postgres_ms,
        per_process_ms(window.start, window.end, ok),
        latencies,
    )
