"""The two latency targets read in alternated rounds: after the paired rounds, from a settled
server, Croupier and the lean reference (one statement a call) each driven for three windows,
alternated, Croupier first in the first and third round, at the half-of-peak rate (open loop)
and then one bet at a time. Each verdict is the p99 of every Croupier bet of its three windows
together, not a mean or a median of the windows' p99s.

Why: each main case is one window (8 s at half of peak, 5 s alone) at whatever moment of the
machine and point of the checkpoint cycle it meets, and its p99 decided the target alone. On
one tree the half-of-peak p99 spans 20-39 ms from one window to the next at 760 bets/s, and
read 181 ms once (bench/README.md, 2026-12-05 09:27); the lone bet's read 10.6-10.7 ms in runs
whose window went at two thirds of its usual rate, against 4.5-6.8 ms alternated right after on
the same tree (09:47). Three windows, each beside the floor at the same load a few seconds
apart, all from the settle's CHECKPOINT (the point every contender starts from, and the one
the most full-page images follow), make a verdict that says the tree rather than the moment.
Each window's p99, what the disk did in it and Croupier's batches in it (batches.py: which part
of a batch stalled, if one did) are printed, so a stall is seen and placed, not averaged away;
the main cases stay in the table."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import disk
from batches import BatchesMeter
from cpu import CpuMeter
from driving import Measured, Meter, drive, percentiles
from leanrun import Load, lean_service, spec_maker, wallets
from loadgen import LoadSpec
from reference import Connection
from service import Service
from table import (
    ALONE_LEAN_ROUNDS,
    ALONE_ROUNDS,
    HALF_PEAK_LEAN_ROUNDS,
    HALF_PEAK_ROUNDS,
    Row,
)

ROUNDS = 3


@dataclass(frozen=True, slots=True)
class Rounds:
    """The windows of one target, Croupier's and the lean reference's, and what the disk did
    in each of Croupier's."""

    names: tuple[str, str]  # the rows: Croupier's, the lean reference's
    load: str  # what was driven, for the note ("760/s", "1 in flight")
    croupier: tuple[Measured, ...]
    lean: tuple[Measured, ...]
    disk: tuple[str, ...]

    def rows(self, in_flight: int) -> list[Row]:
        """Croupier's windows pooled (every bet of them), its note each window's p99 beside
        the lean reference's and the disk in it; then the lean reference's pooled."""
        croupier = pooled(self.names[0], in_flight, self.croupier)
        windows = zip(self.croupier, self.lean, self.disk, strict=True)
        each = "; ".join(
            f"round {n}: {c.p99_ms:.1f} ms (lean {lean.p99_ms:.1f}), {said}"
            for n, (c, lean, said) in enumerate(windows, 1)
        )
        croupier.note = f"{len(self.croupier)} windows at {self.load} after a settle: {each}"
        return [croupier, pooled(self.names[1], in_flight, self.lean)]


def pooled(name: str, in_flight: int, windows: tuple[Measured, ...]) -> Row:
    """One row for several windows: bets/s and CPU a bet over all their bets, the percentiles
    of every latency together."""
    ok = sum(m.ok for m in windows)
    seconds = sum(m.ok / m.rate for m in windows if m.rate)
    p50, p99 = percentiles([x for m in windows for x in m.latencies_ms])
    errors: Counter[str] = Counter()
    for m in windows:
        errors.update(m.errors)
    return Row(
        name,
        in_flight,
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


@dataclass(frozen=True, slots=True)
class Contender:
    """One side of the rounds: its load, the meter of its processes, and (Croupier's) the
    meter of its batches, which reads the processes' counters too."""

    spec: Callable[[int, int], LoadSpec]
    meter: Meter
    batches: BatchesMeter | None = None


def run_rounds(
    names: tuple[str, str],
    load: str,
    croupier: Contender,
    lean: Contender,
    processes: int,
    in_flight: int,
    admin: Connection,
) -> Rounds:
    """The rounds (see the module); the caller settles the server first."""
    windows: tuple[list[Measured], list[Measured]] = ([], [])
    said: list[str] = []

    def croupier_window() -> None:
        before = asyncio.run(disk.read(admin))
        measured = drive(processes, croupier.spec, in_flight, croupier.batches or croupier.meter)
        after = asyncio.run(disk.read(admin))
        windows[0].append(measured)
        batches = f"; {croupier.batches.window()}" if croupier.batches is not None else ""
        said.append(disk.describe(before, after, measured.total) + batches)

    def lean_window() -> None:
        windows[1].append(drive(processes, lean.spec, in_flight, lean.meter))

    turns: tuple[Callable[[], None], Callable[[], None]] = (croupier_window, lean_window)
    for n in range(ROUNDS):
        for window in turns if n % 2 == 0 else turns[::-1]:
            window()
        print(
            f"  {names[0]}, round {n + 1} at {load}: p99 {windows[0][-1].p99_ms:.1f} ms, "
            f"lean {windows[1][-1].p99_ms:.1f} ms; {said[-1]}",
            flush=True,
        )
    return Rounds(names, load, tuple(windows[0]), tuple(windows[1]), tuple(said))


def run_latency_targets(
    service: Service,
    api_key: str,
    players: tuple[int, ...],
    hot: int,
    reference: Connection,
    log_file: Path,
    half_rate: float,
    load: Load,
    postgres_pid: int | None,
    settle: Callable[[], None],
    admin: Connection,
) -> list[Row]:
    """Both targets' rounds, each from a settled server (`settle`): the half-of-peak rate as
    the main case drives it (open loop, `load.processes` load processes, 512 in flight at
    most), then one bet at a time as the main case does it (Croupier's on the hot player,
    whose seed pair exists; the lean reference's spread, as its own main case)."""
    croupier_meter = CpuMeter(service.process.pid, postgres_pid)
    croupier_batches = BatchesMeter(croupier_meter, service.http_port)
    lean_players = wallets(len(players))
    alone = Load(min(load.seconds, 5.0), 0.5, 1, load.batch_size)
    per_process = half_rate / load.processes
    rows: list[Row] = []
    with lean_service(reference, "single", log_file) as single:
        lean_meter = CpuMeter(single.process.pid, postgres_pid)

        settle()
        rows += run_rounds(
            (HALF_PEAK_ROUNDS, HALF_PEAK_LEAN_ROUNDS),
            f"{half_rate:.0f}/s",
            Contender(
                spec_maker(service.address, api_key, "rate", players, load, per_process),
                croupier_meter,
                croupier_batches,
            ),
            Contender(
                spec_maker(single.address, "-", "rate", lean_players, load, per_process),
                lean_meter,
            ),
            load.processes,
            512,
            admin,
        ).rows(0)
        settle()
        rows += run_rounds(
            (ALONE_ROUNDS, ALONE_LEAN_ROUNDS),
            "1 in flight",
            Contender(
                spec_maker(service.address, api_key, "unary", (hot,), alone),
                croupier_meter,
                croupier_batches,
            ),
            Contender(spec_maker(single.address, "-", "unary", lean_players, alone), lean_meter),
            1,
            1,
            admin,
        ).rows(1)
    return rows
