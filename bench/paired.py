"""Two targets measured in alternated rounds at the target level, every service up: Croupier's
unary (the service its cases warmed), the lean reference's unary one statement a call and its
batched unary (each a lean process started for the rounds). Each round drives the three one
after the other, in an order that rotates round by round; the unary target's verdict is the
median of the rounds' rate ratios (Croupier / lean unary), the CPU target's the median of their
CPU ratios (Croupier / lean batched unary, service + PostgreSQL a bet).

Why: on the shared 2-vCPU machines these runs get, the same fixed work takes 106–165 ms from
one second to the next on an idle machine (2026-12-04 19:56, 30 samples a second apart), so a
rate or a CPU-a-bet figure moves ±25% with the moment it was read. The main cases measure the
lean reference and Croupier minutes apart: between five full runs of the same code (19:44–20:17)
the unary ratio moved 0.31–0.54 × and the CPU ratio 2.20–3.41 ×. Rounds a few seconds apart
share the machine's moments.

Every service stays up through the rounds, so the idle ones' background work is in the driven
one's PostgreSQL column: Croupier's relay and jobs while a lean reference is driven (a few
statements a second), nothing of the lean references' while Croupier is. That leans against
Croupier's ratios by about 1%: the idle Croupier's PostgreSQL CPU a second is printed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cpu import CpuMeter
from driving import Measured, drive
from leanrun import LeanService, Load, lean_service, spec_maker, wallets
from loadgen import LoadSpec
from reference import Connection
from service import Service
from table import figure

ROUNDS = 3
ROUND_SECONDS = 4.0
IDLE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Round:
    croupier_rate: float
    croupier_ms: float | None  # service + PostgreSQL CPU a bet (None: a counter unreadable)
    lean_rate: float  # unary, one statement a call
    batched_ms: float | None  # the lean reference's batched unary, CPU a bet

    @property
    def rate_ratio(self) -> float | None:
        return self.croupier_rate / self.lean_rate if self.lean_rate else None

    @property
    def cpu_ratio(self) -> float | None:
        if self.croupier_ms is None or not self.batched_ms:
            return None
        return self.croupier_ms / self.batched_ms


@dataclass(frozen=True, slots=True)
class Paired:
    level: int
    rounds: tuple[Round, ...]
    croupier_idle_postgres_ms_s: float | None  # PostgreSQL CPU ms a second, Croupier idle

    def median(self, what: str) -> float | None:
        """The median of a round's field or ratio over the rounds that have it (None: none
        has: on a configured server whose PostgreSQL processes cannot be read, no CPU)."""
        values = [v for v in (getattr(r, what) for r in self.rounds) if v is not None]
        return statistics.median(values) if values else None

    def describe(self) -> str:
        each = "; ".join(
            f"{r.croupier_rate:.0f}/{r.lean_rate:.0f} bets/s = {_x(r.rate_ratio)}, "
            f"{figure(r.croupier_ms, 2)}/{figure(r.batched_ms, 2)} ms = {_x(r.cpu_ratio)}"
            for r in self.rounds
        )
        idle = (
            f"; Croupier idle: PostgreSQL {self.croupier_idle_postgres_ms_s:.1f} ms CPU a second"
            if self.croupier_idle_postgres_ms_s is not None
            else ""
        )
        return (
            f"{len(self.rounds)} alternated rounds of {ROUND_SECONDS:g} s at {self.level} in "
            f"flight (Croupier unary / lean unary, bets/s; Croupier unary / lean batched unary, "
            f"svc + PG ms a bet): {each}{idle}"
        )


def run_paired(
    service: Service,
    api_key: str,
    players: tuple[int, ...],
    reference: Connection,
    log_file: Path,
    level: int,
    processes: int,
    postgres_pid: int | None,
) -> Paired:
    load = Load(ROUND_SECONDS, 1.0, processes, 1)
    lean_players = wallets(len(players))
    croupier_meter = CpuMeter(service.process.pid, postgres_pid)
    idle = _idle_postgres_ms_s(croupier_meter)
    croupier_spec = spec_maker(service.address, api_key, "unary", players, load)
    rounds: list[Round] = []
    with (
        lean_service(reference, "single", log_file) as single,
        lean_service(reference, "batched", log_file) as batched,
    ):

        def driver(spec: Callable[[int, int], LoadSpec], meter: CpuMeter) -> Callable[[], Measured]:
            return lambda: drive(processes, spec, level, meter)

        def lean(which: LeanService) -> Callable[[], Measured]:
            spec = spec_maker(which.address, "-", "unary", lean_players, load)
            return driver(spec, CpuMeter(which.process.pid, postgres_pid))

        drivers = {
            "croupier": driver(croupier_spec, croupier_meter),
            "single": lean(single),
            "batched": lean(batched),
        }
        order = list(drivers)
        for n in range(ROUNDS):
            turn = order[n % 3 :] + order[: n % 3]  # each goes first once in three rounds
            got = {name: drivers[name]() for name in turn}
            rounds.append(
                Round(
                    got["croupier"].rate,
                    _cpu(got["croupier"]),
                    got["single"].rate,
                    _cpu(got["batched"]),
                )
            )
    return Paired(level, tuple(rounds), idle)


def _cpu(measured: Measured) -> float | None:
    if measured.service_cpu_ms is None or measured.postgres_cpu_ms is None:
        return None
    return measured.service_cpu_ms + measured.postgres_cpu_ms


def _x(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f} ×"


def _idle_postgres_ms_s(meter: CpuMeter) -> float | None:
    before = meter.read()
    time.sleep(IDLE_SECONDS)
    after = meter.read()
    if before.postgres is None or after.postgres is None:
        return None
    return float((after.postgres - before.postgres) * 1000 / IDLE_SECONDS)
