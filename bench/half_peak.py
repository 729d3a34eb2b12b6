"""The p99 at half of peak in alternated rounds: after the paired rounds and a settle, Croupier
and the lean reference (one statement a call) are each driven open loop at the half-of-peak rate
for three windows, alternated, Croupier first in the first and third round; the target's
verdict is the p99 of every Croupier bet of the three windows together.

Why: the main case is one 8-second window at whatever point of the checkpoint cycle ~170,000
bets after the settle leave it, and its p99 decided the verdict alone. On one tree that p99
spans 20-39 ms from one window to the next at 760 bets/s, and 181 ms once (bench/README.md,
2026-12-05 09:27): a single window is a draw. Three windows, each read beside the floor at the
same rate a few seconds apart, all starting from the settle's CHECKPOINT (the point every other
contender starts from, and the one just before the page images a checkpoint brings on), make a
verdict that says the tree rather than the moment. Each window's p99 and what the disk did in
it are printed too, so a stall is seen, not averaged away; the main case stays in the table."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import disk
from cpu import CpuMeter
from driving import Measured, drive, percentiles
from leanrun import LeanService, Load, lean_service, spec_maker, wallets
from reference import Connection
from service import Service
from table import HALF_PEAK_LEAN_ROUNDS, HALF_PEAK_ROUNDS, Row

ROUNDS = 3
_CAP = 512  # bets in flight at most (the open loop's cap, as the main case's)


@dataclass(frozen=True, slots=True)
class HalfPeak:
    rate: float  # bets/s asked of both
    croupier: tuple[Measured, ...]
    lean: tuple[Measured, ...]
    disk: tuple[str, ...]  # each Croupier window's disk.describe

    def rows(self) -> list[Row]:
        """Croupier's rounds pooled (every bet of the windows), its note each window's p99
        beside the lean reference's and the disk in it; then the lean reference's pooled."""
        croupier = pooled(HALF_PEAK_ROUNDS, self.croupier)
        windows = zip(self.croupier, self.lean, self.disk, strict=True)
        each = "; ".join(
            f"round {n}: {c.p99_ms:.1f} ms (lean {lean.p99_ms:.1f}), {said}"
            for n, (c, lean, said) in enumerate(windows, 1)
        )
        croupier.note = f"{len(self.croupier)} windows at {self.rate:.0f}/s after a settle: {each}"
        return [croupier, pooled(HALF_PEAK_LEAN_ROUNDS, self.lean)]


def pooled(name: str, windows: tuple[Measured, ...]) -> Row:
    """One row for several windows: bets/s and CPU a bet over all their bets, the percentiles
    of every latency together (not a mean of the windows' p99s)."""
    ok = sum(m.ok for m in windows)
    seconds = sum(m.ok / m.rate for m in windows if m.rate)
    p50, p99 = percentiles([x for m in windows for x in m.latencies_ms])
    errors: Counter[str] = Counter()
    for m in windows:
        errors.update(m.errors)
    return Row(
        name,
        0,
        ok / seconds if seconds else 0.0,
        p50,
        p99,
        errors=errors,
        service_cpu_ms=_weighted(windows, "service_cpu_ms"),
        postgres_cpu_ms=_weighted(windows, "postgres_cpu_ms"),
    )


def _weighted(windows: tuple[Measured, ...], what: str) -> float | None:
    values = [(getattr(m, what), m.ok) for m in windows]
    if not values or any(v is None for v, _ in values):
        return None
    bets = sum(ok for _, ok in values)
    return sum(v * ok for v, ok in values) / bets if bets else None


def run_half_peak(
    service: Service,
    api_key: str,
    players: tuple[int, ...],
    reference: Connection,
    log_file: Path,
    rate: float,
    load: Load,
    postgres_pid: int | None,
    admin: Connection,
) -> HalfPeak:
    """The rounds (see the module); the caller settles the server first."""
    per_process = rate / load.processes
    croupier_spec = spec_maker(service.address, api_key, "rate", players, load, per_process)
    croupier_meter = CpuMeter(service.process.pid, postgres_pid)
    croupier: list[Measured] = []
    lean: list[Measured] = []
    said: list[str] = []
    with lean_service(reference, "single", log_file) as single:

        def croupier_window() -> None:
            before = asyncio.run(disk.read(admin))
            measured = drive(load.processes, croupier_spec, _CAP, croupier_meter)
            after = asyncio.run(disk.read(admin))
            croupier.append(measured)
            said.append(disk.describe(before, after, measured.total))

        def lean_window(which: LeanService = single) -> None:
            spec = spec_maker(which.address, "-", "rate", wallets(len(players)), load, per_process)
            meter = CpuMeter(which.process.pid, postgres_pid)
            lean.append(drive(load.processes, spec, _CAP, meter))

        turns: tuple[Callable[[], None], Callable[[], None]] = (croupier_window, lean_window)
        for n in range(ROUNDS):
            for window in turns if n % 2 == 0 else turns[::-1]:
                window()
            print(
                f"  half peak round {n + 1} at {rate:.0f}/s: Croupier p99 "
                f"{croupier[-1].p99_ms:.1f} ms, lean {lean[-1].p99_ms:.1f} ms; {said[-1]}",
                flush=True,
            )
    return HalfPeak(rate, tuple(croupier), tuple(lean), tuple(said))
