"""The lean reference's cases (issue 19): bench/lean.py started as a process of its own on the
reference database, driven by the same load generator as Croupier, with its CPU and
PostgreSQL's read over each case's window."""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alone import StatementCounter, write_breakdown
from cpu import CpuMeter
from driving import BENCH, ROOT, Measured, drive
from loadgen import LoadSpec
from machine import MachineMeter
from reference import Connection
from service import terminate
from table import Row

HOT_PLAYER = 1  # pgbench's one player, too


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wallets(players: int) -> tuple[int, ...]:
    """The lean reference's players: the reference database's wallet ids, 1 to `players`, as
    `reference.create_reference_database` numbers them."""
    return tuple(range(1, players + 1))


def dsn(where: Connection) -> str:
    password = f":{where.password}" if where.password else ""
    return f"postgresql://{where.user}{password}@{where.host}:{where.port}/{where.database}"


class LeanService:
    """bench/lean.py in its own process; `unary` is `single` or `batched`."""

    def __init__(self, database: Connection, unary: str, log_file: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._log = log_file.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(BENCH / "lean.py"),
                "--port",
                str(self.port),
                "--dsn",
                dsn(database),
                "--unary",
                unary,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=ROOT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"bench/lean.py did not start (see {self._log.name})")

    def stop(self) -> None:
        terminate(self.process, grace=10)
        self._log.close()


@contextlib.contextmanager
def lean_service(database: Connection, unary: str, log_file: Path) -> Iterator[LeanService]:
    service = LeanService(database, unary, log_file)
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


@dataclass(frozen=True, slots=True)
class Load:
    """What every case shares: how long, how many load processes, and the batch size."""

    seconds: float
    warmup: float
    processes: int
    batch_size: int


def spec_maker(
    address: str, api_key: str, mode: str, players: tuple[int, ...], load: Load, rate: float = 0.0
) -> Callable[[int, int], LoadSpec]:
    def make(share: int, _: int) -> LoadSpec:
        return LoadSpec(
            address=address,
            api_key=api_key,
            mode=mode,
            players=players,
            concurrency=max(1, share),
            seconds=load.seconds,
            warmup=load.warmup,
            rate=rate,
            batch_size=load.batch_size,
        )

    return make


def measured_row(name: str, level: int, measured: Measured, rss_mb: float | None = None) -> Row:
    return Row(
        name,
        level,
        measured.rate,
        measured.p50_ms,
        measured.p99_ms,
        rss_mb,
        measured.errors,
        service_cpu_ms=measured.service_cpu_ms,
        postgres_cpu_ms=measured.postgres_cpu_ms,
    )


def bet_alone(
    name: str,
    make: Callable[[int, int], LoadSpec],
    counter: StatementCounter | None,
    meter: CpuMeter,
    breakdown: Path,
) -> Row:
    """Bets placed one at a time: the server's statements a bet, the latency, the CPU."""
    if counter is not None:
        asyncio.run(counter.start())
    measured = drive(1, make, 1, meter)
    result = measured_row(name, 1, measured)
    if counter is not None:
        counted = asyncio.run(counter.stop(measured.total))
        result.statements = counted.per_bet
        write_breakdown(breakdown, name, counted, measured.total)
    print(
        f"  {name}: {result.rate:.0f} bets/s,"
        f" {result.statements or float('nan'):.1f} statements a bet, "
        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; CPU a bet: service"
        f" {result.service_cpu_ms or 0:.3f} ms, PostgreSQL {result.postgres_cpu_ms or 0:.3f} ms",
        flush=True,
    )
    if measured.process_cpu_ms:
        # A meter with a breakdown (service_cost.py --mode alone): process by process, and
        # thread by thread when it asked for threads.
        for part, ms in measured.process_cpu_ms.items():
            print(f"    {part}: {ms * 1000:.0f} µs a bet", flush=True)
    return result


def lean_at_rate(
    database: Connection,
    players: int,
    rate: float,
    load: Load,
    postgres_pid: int | None,
    log_file: Path,
) -> Row:
    """The lean reference (one statement a bet) driven open loop at `rate` bets/s, as
    Croupier's half-of-peak case is, right after it: the stack's own p99 at that rate on the
    same server, disk and machine, beside Croupier's (a bet's latency at a given rate is
    what the service adds on top of this floor)."""
    with lean_service(database, "single", log_file) as service:
        meter = CpuMeter(service.process.pid, postgres_pid)
        make = spec_maker(
            service.address,
            "-",
            "rate",
            wallets(players),
            load,
            rate=rate / load.processes,
        )
        row = measured_row(
            "lean unary at the same rate", 0, drive(load.processes, make, 512, meter)
        )
    print(
        f"  lean at the same rate {rate:.0f}/s: {row.rate:.0f} bets/s p99 {row.p99_ms:.1f} ms",
        flush=True,
    )
    return row


def run_lean(
    database: Connection,
    players: int,
    levels: list[int],
    level: int,
    batch_messages: int,
    load: Load,
    postgres_pid: int | None,
    counter: StatementCounter | None,
    log_file: Path,
    redis: tuple[str, int] | None = None,
) -> list[Row]:
    """The lean cases: unary one statement a call (uniform at every level, hot at the target
    level, alone), then batched unary at the target level, batched streams at every level and
    the batch RPC. A case at the target level, and the batch RPC's, say what they cost the
    whole machine (machine.py; `redis`: the Redis server's name and pid, idle for the lean
    service, its CPU named beside Croupier's)."""
    uniform = wallets(players)
    rows: list[Row] = []

    def case(name: str, service: LeanService, mode: str, who: tuple[int, ...], n: int) -> None:
        meter = MachineMeter(CpuMeter(service.process.pid, postgres_pid), redis)
        make = spec_maker(service.address, "-", mode, who, load)
        measured = drive(load.processes, make, n, meter)
        rows.append(measured_row(name, n, measured))
        if n == level or mode == "batch":
            rows[-1].note = f"{n} in flight: {meter.note(measured.ok)}"
        print(f"  {name} x{n}: {rows[-1].rate:.0f} bets/s p99 {rows[-1].p99_ms:.1f} ms", flush=True)

    started = time.perf_counter()
    with lean_service(database, "single", log_file) as service:
        for n in levels:
            case("lean unary uniform", service, "unary", uniform, n)
        case("lean unary hot", service, "unary", (HOT_PLAYER,), level)
        meter = CpuMeter(service.process.pid, postgres_pid)
        alone = Load(min(load.seconds, 5.0), 0.5, 1, load.batch_size)
        make = spec_maker(service.address, "-", "unary", uniform, alone)
        rows.append(
            bet_alone(
                "lean unary alone", make, counter, meter, log_file.with_name("statements.txt")
            )
        )
    with lean_service(database, "batched", log_file) as service:
        case("lean unary batched", service, "unary", uniform, level)
        for n in levels:
            case("lean stream batched", service, "stream", uniform, n)
        case("lean batch uniform", service, "batch", uniform, batch_messages)
    print(f"  lean cases took {time.perf_counter() - started:.0f} s", flush=True)
    return rows
