"""Throughput benchmark of the betting path against PostgreSQL's and its stack's own limits.

    ./dev bench                      # the full run, a few minutes
    ./dev bench --quick              # one concurrency level, 3-second cases
    ./dev bench --seconds 20 --concurrency 8,32,64,128 --profile bench/.data/profiles

What it does, in one run on one PostgreSQL server (see bench/README.md):
1. starts embedded PostgreSQL and Valkey under bench/.data (or uses CROUPIER_DATABASE_URL and
   CROUPIER_REDIS_URL when set), migrates a database of its own and seeds it through the
   application's use cases: 10,000 players with a deposit each, one hot player, a funded
   bankroll, an API key for the load generator;
2. runs pgbench with the reference bet transaction (bench/reference-bet.sql) in a separate
   database of the same server: bets spread over 10,000 wallets, and all on one;
2b. runs the lean reference (bench/lean.py: grpc.aio + asyncpg, the reference bet as one
   statement, alone or batched) in that database under the same load generator (leanrun.py);
3. starts `croupier run` as a separate process (velocity limit and outcome monitor off) and
   drives settled bets at it from separate load-generator processes: unary PlayInstant and
   StreamBets, spread and hot, at each concurrency level, then a rate-limited run at half of
   the best unary rate, a PlaceBatch case and bets one at a time (their statements counted by
   pg_stat_statements, alone.py); it samples the service's RSS and PSS
   all along, process by process (memory.py);
4. reads CPU counters of the service's and PostgreSQL's processes over every case's window
   (cpu.py) and prints a table with CPU a bet and the issue's targets, met or not (table.py);
5. brings the server to rest between contenders (settle.py), and reads the unary and CPU
   targets in rounds alternated between Croupier and the lean references (paired.py)."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import alone
import disk
import valkey_rest
from batches import BatchesMeter
from cpu import CpuMeter, per_bet_ms, postmaster_pid
from driving import drive, percentiles
from exported import SOURCE_ENV, reexec_on
from latency_rounds import run_latency_targets
from lean import loop_name as lean_loop
from leanrun import Load, bet_alone, lean_at_rate, measured_row, run_lean, spec_maker
from machine import MachineMeter, redis_process
from memory import MemorySampler
from paired import Paired, run_paired
from reference import Connection, PgbenchResult, create_reference_database, run_pgbench
from service import ROOT, Service, profiled
from settle import settle_and_say
from sqlalchemy.engine import make_url
from table import Row, format_table, nearest_level, set_ratios, targets

if TYPE_CHECKING:
    from seeding import Seeded

BENCH = Path(__file__).resolve().parent
REFERENCE_DATABASE = "croupier_bench_reference"


# ------------------------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument(
        "--concurrency", default="8,32,64", help="bets in flight, comma-separated levels"
    )
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1, help="load-generator processes")
    parser.add_argument("--quick", action="store_true", help="3-second cases at 32 in flight")
    parser.add_argument("--batch-size", type=int, default=100, help="bets a PlaceBatch message")
    parser.add_argument(
        "--batch-messages", type=int, default=8, help="PlaceBatch messages in flight"
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / ".data")
    parser.add_argument("--fresh", action="store_true", help="recreate and reseed the database")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the service into this folder"
    )
    parser.add_argument("--skip-reference", action="store_true", help="no pgbench, no floor")
    parser.add_argument("--skip-lean", action="store_true", help="no lean reference")
    parser.add_argument(
        "--ref",
        default=None,
        help="benchmark the code of this git commit (exported with git archive, the working "
        "tree untouched) instead of the working tree",
    )
    parser.add_argument(
        "--keep-servers", action="store_true", help="leave embedded servers running"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.concurrency = 3.0, "32"
    levels = [int(c) for c in args.concurrency.split(",")]
    level = nearest_level(levels)
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    seconds: float = args.seconds
    if args.ref is not None and SOURCE_ENV not in os.environ:
        reexec_on(args.ref, data_dir)
    under_test = os.environ.get(SOURCE_ENV) or "the working tree"
    load = Load(seconds, args.warmup, args.processes, args.batch_size)
    (data_dir / "statements.txt").unlink(missing_ok=True)  # bet_alone appends to it

    # Only now the application: from the working tree, or from the exported commit.
    from seeding import (
        check_books,
        seed,
        seeded_template,
        server_settings,
        service_environment,
        start_counting_servers,
        stop_servers,
    )
    from seeding import upgrade as migrate_to_head

    started = time.perf_counter()
    servers = start_counting_servers(data_dir, args.fresh)
    env = service_environment(data_dir, servers)
    rows: list[Row] = []
    paired: Paired | None = None
    try:
        migrate_to_head(servers.database_url)
        settings = asyncio.run(server_settings(servers.database_url))
        seeded = asyncio.run(
            seed(env, args.players, data_dir / "seeded.json", template=seeded_template(servers))
        )
        target = asyncio.run(
            create_reference_database(servers.admin, REFERENCE_DATABASE, args.players)
        )
        counted = asyncio.run(alone.install(target))
        postgres_pid = asyncio.run(postmaster_pid(servers.admin))
        service_database = make_url(servers.database_url).database or ""
        # Each contender starts on a server at rest: what the one before left (autovacuum of
        # its rows, its dirty pages, a checkpoint its WAL brought on) is done outside every
        # window, not charged to the next (settle.py).
        # (The service's database only on the embedded server, where it is the run's copy.)
        both = (REFERENCE_DATABASE, service_database) if servers.embedded else (REFERENCE_DATABASE,)
        if not args.skip_reference:
            settle_and_say(servers.admin, both)
            rows += run_reference(target, levels, seconds, args, postgres_pid)
            rows += run_floor(max(levels), seconds, args.warmup)
        if not args.skip_lean:
            settle_and_say(servers.admin, both)
            rows += run_lean(
                target,
                args.players,
                levels,
                level,
                args.batch_messages,
                load,
                postgres_pid,
                alone.StatementCounter(target, REFERENCE_DATABASE) if counted else None,
                data_dir / "lean.log",
                redis_process(servers.redis_url),
            )
        counter = alone.StatementCounter(target, service_database) if counted else None
        settle_and_say(servers.admin, both, servers.redis_url)
        served, paired = run_service(
            env,
            data_dir,
            seeded,
            levels,
            args,
            load,
            postgres_pid,
            counter,
            servers.admin,
            None if args.skip_lean else (target, both),
            servers.redis_url,
        )
        rows += served
        problems = asyncio.run(check_books(servers.database_url))
    finally:
        if servers.embedded and not args.keep_servers:
            stop_servers(data_dir)

    set_ratios(rows)
    found = targets(rows, level, paired)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    where = f"embedded servers under {data_dir}" if servers.embedded else "the configured URLs"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    if SOURCE_ENV not in os.environ and dirty:
        under_test += " (with uncommitted changes in src/)"
    header = [
        f"croupier bench  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  commit {commit or '?'}  "
        f"{os.cpu_count()} CPUs  {seconds:g} s a case, {args.processes} load process(es), "
        f"{time.perf_counter() - started:.0f} s in all",
        "PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        f"service: croupier run from {under_test}, on {where}; "
        "velocity limit off, outcome monitor off; game coin, stake 10 XTR",
        f"lean reference: bench/lean.py on {lean_loop()}, reference database, "
        "one statement a bet (alone) or a batch",
        "ledger after the run: "
        + ("reconciles (reconcile: no problem)" if not problems else "; ".join(problems[:5])),
        "svc ms / PG ms: CPU a bet of the service's process tree / of PostgreSQL's processes "
        "over the case's window (pgbench rows: PostgreSQL only)",
        "stmts: statements a bet counted by pg_stat_statements (bet-alone rows, 1 in flight)",
        f"batch rows: in flight = PlaceBatch messages of {args.batch_size} bets",
        "× ref: uniform cases against the best uniform pgbench tps, hot against the best "
        "one-player tps",
    ]
    text = format_table(header, rows, found, (paired.describe(),) if paired else ())
    print(text)
    (data_dir / "last-run.txt").write_text(text + "\n")
    return 0


def run_floor(level: int, seconds: float, warmup: float) -> list[Row]:
    """The grpc.aio floor: the same load against a server that does nothing (grpc_floor.py)."""
    from grpc_floor import measure

    rows = []
    for mode in ("unary", "stream"):
        result = measure(mode, level, seconds, warmup)
        p50, p99 = percentiles(result.latencies_ms)
        rows.append(Row(f"grpc floor {mode} (no work)", level, result.ok / seconds, p50, p99))
        print(f"  {rows[-1].name} c={level}: {rows[-1].rate:.0f} calls/s", flush=True)
    return rows


def run_reference(
    target: Connection,
    levels: list[int],
    seconds: float,
    args: argparse.Namespace,
    postgres_pid: int | None,
) -> list[Row]:
    meter = CpuMeter(None, postgres_pid)
    rows = []
    for label, players in (("uniform", args.players), ("one player", 1)):
        for clients in levels:
            before = meter.read()
            result: PgbenchResult = run_pgbench(
                target, clients=clients, players=players, seconds=max(1, round(seconds))
            )
            _, postgres_ms = per_bet_ms(before, meter.read(), result.transactions)
            errors: Counter[str] = Counter({"failed": result.failed} if result.failed else {})
            rows.append(
                Row(
                    f"pgbench {label}",
                    clients,
                    result.tps,
                    result.p50_ms,
                    result.p99_ms,
                    errors=errors,
                    postgres_cpu_ms=postgres_ms,
                )
            )
            print(f"  {rows[-1].name} c={clients}: {result.tps:.0f} tps", flush=True)
    return rows


def _machine(machine: MachineMeter, row: Row, bets: int) -> str:
    """The case's cost to the whole machine (machine.py) in words, its CPU a bet kept on its
    row for the targets' ceilings (table.py); "" when the window was not read."""
    whole = machine.window(bets)
    if whole is None:
        return ""
    row.machine_ms, row.cpus = whole.all_ms, whole.cpus
    return whole.describe()


def _joined(*notes: str) -> str:
    """A case's notes in one line, the empty ones left out."""
    return "; ".join(note for note in notes if note)


def run_service(
    env: dict[str, str],
    data_dir: Path,
    seeded: Seeded,
    levels: list[int],
    args: argparse.Namespace,
    load: Load,
    postgres_pid: int | None,
    counter: alone.StatementCounter | None,
    admin: Connection,
    pair_with: tuple[Connection, tuple[str, ...]] | None,
    redis_url: str,
) -> tuple[list[Row], Paired | None]:
    """Croupier's cases; then, with `pair_with` (the reference database and the databases to
    settle), the unary and CPU targets' alternated rounds against the same service, warm
    (paired.py). A case Valkey rewrote its append-only file in says so (valkey_rest.py)."""
    service = Service(env, data_dir / "service.log")
    rows: list[Row] = []
    paired: Paired | None = None
    try:
        service.wait_ready()
        cpu = CpuMeter(service.process.pid, postgres_pid)
        # The same counters, the whole machine's (machine.py) and the service's batch totals
        # at each reading (batches.py).
        machine = MachineMeter(cpu, redis_process(redis_url))
        meter = BatchesMeter(machine, service.http_port)
        target = nearest_level(levels)
        sampler = MemorySampler(service.process.pid)
        try:
            cases = (
                ("unary uniform", "unary", seeded.players),
                ("stream uniform", "stream", seeded.players),
                ("unary hot", "unary", (seeded.hot,)),
                ("stream hot", "stream", (seeded.hot,)),
            )
            for name, mode, players in cases:
                for level in levels:
                    make = spec_maker(service.address, seeded.api_key, mode, players, load)
                    profile = None
                    if args.profile is not None and level == max(levels):
                        profile = args.profile / f"{name.replace(' ', '-')}-{level}"
                    sampler.take_peak_mb()
                    rewrites = valkey_rest.rewrites(redis_url)
                    with profiled(service.process.pid, profile, args.seconds + args.warmup):
                        measured = drive(args.processes, make, level, meter)
                    rows.append(measured_row(name, level, measured, sampler.take_peak_mb()))
                    # Every level's CPU a bet goes on its row (the targets' ceilings take the
                    # level that goes furthest); the target level's is said in the notes.
                    whole = _machine(machine, rows[-1], measured.ok)
                    said = _joined(
                        meter.window() if level == target else "",
                        whole if level == target else "",
                        valkey_rest.rewrote(redis_url, rewrites),
                    )
                    rows[-1].note = f"{level} in flight: {said}" if said else ""
                    print(
                        f"  {name} x{level}: {measured.rate:.0f} bets/s "
                        f"p99 {measured.p99_ms:.1f} ms",
                        flush=True,
                    )

            make = spec_maker(service.address, seeded.api_key, "batch", seeded.players, load)
            sampler.take_peak_mb()
            rewrites = valkey_rest.rewrites(redis_url)
            measured = drive(args.processes, make, args.batch_messages, meter)
            rows.append(
                measured_row("batch uniform", args.batch_messages, measured, sampler.take_peak_mb())
            )
            rows[-1].note = _joined(
                meter.window(),
                _machine(machine, rows[-1], measured.ok),
                valkey_rest.rewrote(redis_url, rewrites),
            )
            print(f"  batch uniform: {measured.rate:.0f} bets/s {dict(measured.errors)}")

            # One at a time, on the hot player: its seed pair exists by now (steady state).
            alone_load = Load(min(args.seconds, 5.0), 0.5, 1, args.batch_size)
            make = spec_maker(service.address, seeded.api_key, "unary", (seeded.hot,), alone_load)
            rows.append(bet_alone("unary alone", make, counter, cpu, data_dir / "statements.txt"))

            peak = max((r.rate for r in rows if r.name == "unary uniform"), default=100.0)
            half_rate = peak / 2
            make = spec_maker(
                service.address,
                seeded.api_key,
                "rate",
                seeded.players,
                load,
                rate=half_rate / args.processes,
            )
            sampler.take_peak_mb()
            asyncio.run(disk.enable_fsync_timing(admin))
            disk_before = asyncio.run(disk.read(admin))
            rewrites = valkey_rest.rewrites(redis_url)
            measured = drive(args.processes, make, 512, meter)
            disk_after = asyncio.run(disk.read(admin))
            row = measured_row("unary at half peak (rate)", 0, measured, sampler.take_peak_mb())
            row.note = _joined(
                meter.window(),
                machine.note(measured.ok),
                "the disk over the case: " + disk.describe(disk_before, disk_after, measured.total),
                valkey_rest.rewrote(redis_url, rewrites),
            )
            rows.append(row)
            print(
                f"  half peak {half_rate:.0f}/s: {measured.rate:.0f} bets/s "
                f"p99 {measured.p99_ms:.1f} ms; {row.note}",
                flush=True,
            )
            print("  memory, peaks over every case (bench/memory.py):")
            print("\n".join(sampler.overall().lines()), flush=True)
        finally:
            sampler.close()
        if pair_with is not None:
            reference, databases = pair_with
            # Right after Croupier's half-of-peak case, unsettled as that case was (a checkpoint
            # the cases' WAL brought on still runs here as it ran there).
            rows.append(
                lean_at_rate(
                    reference,
                    len(seeded.players),
                    half_rate,
                    load,
                    postgres_pid,
                    data_dir / "lean.log",
                )
            )
            settle_and_say(admin, databases, redis_url)
            paired = run_paired(
                service,
                seeded.api_key,
                seeded.players,
                reference,
                data_dir / "lean.log",
                nearest_level(levels),
                args.processes,
                postgres_pid,
            )
            print(f"  paired: {paired.describe()}", flush=True)
            # The latency targets' rounds, each from a settled server (latency_rounds.py).
            rows += run_latency_targets(
                service,
                seeded.api_key,
                seeded.players,
                seeded.hot,
                reference,
                data_dir / "lean.log",
                half_rate,
                load,
                postgres_pid,
                lambda: settle_and_say(admin, databases, redis_url),
                admin,
            )
    finally:
        service.stop()
    return rows, paired


if __name__ == "__main__":
    sys.exit(main())
