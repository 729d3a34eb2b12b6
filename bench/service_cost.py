"""CPU per bet of the whole service (`croupier run`, gRPC, the bet queue, the use cases) and of
PostgreSQL, from the processes' own CPU counters, for before/after comparisons of the runtime:

    .venv/bin/python bench/service_cost.py --mode unary --in-flight 32 --seconds 10
    .venv/bin/python bench/service_cost.py --mode stream --env CROUPIER_UVLOOP=0
    .venv/bin/python bench/service_cost.py --ref HEAD~1     # another commit's code, same servers

It reuses bench/run.py's servers, seeding (bench/.data) and load generator, starts the service
with the given `--env` overrides (velocity limit and outcome monitor off, as the benchmark),
drives `--mode` at `--in-flight` for `--seconds` after a warm-up, and prints bets/s and CPU
milliseconds per bet of the service's processes (with its children) and of all PostgreSQL
processes, read at the start and the end of the measured window. `--repeat N` measures the
same service N times in a row (the spread says how noisy the machine is)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from dataclasses import replace

import psutil
from exported import export_source
from loadgen import LoadSpec
from run import ROOT, Service, drive

DATA = ROOT / "bench" / ".data"


def _cpu(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds of each process, by pid."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two samples by the processes alive at the second (a backend
    that exited in between takes its share with it: connections here are pooled, long-lived)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _service_processes(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _postgres_processes() -> list[psutil.Process]:
    """The embedded PostgreSQL's processes: its postmaster (started on bench/.data/postgres)
    and every backend under it; other PostgreSQL servers on the machine are not counted."""
    home = str(DATA / "postgres")
    for process in psutil.process_iter(["cmdline"]):
        if home in " ".join(process.info["cmdline"] or []):
            return [process, *process.children(recursive=True)]
    return []


def measure(service: Service, spec: LoadSpec, load_processes: int = 1) -> str:
    """Drive one load and read the CPU counters as its measured window opens and closes."""
    marks: list[tuple[dict[int, float], dict[int, float]]] = []

    def sample() -> None:
        for delay in (spec.warmup, spec.seconds):
            time.sleep(delay)
            ours = _cpu(_service_processes(service.process.pid))
            marks.append((ours, _cpu(_postgres_processes())))

    sampler = threading.Thread(target=sample)
    sampler.start()
    # Each load process has a connection of its own (several are needed to reach several
    # service processes: SO_REUSEPORT spreads connections, not calls).
    rate, p50, p99, errors = drive(
        load_processes, lambda share, _: replace(spec, concurrency=share), spec.concurrency
    )
    sampler.join()
    bets = max(rate * spec.seconds, 1)
    (service_0, pg_0), (service_1, pg_1) = marks
    return (
        f"{rate:.0f} bets/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms; CPU per bet: service"
        f" {_spent(service_0, service_1) * 1000 / bets:.2f} ms, PostgreSQL"
        f" {_spent(pg_0, pg_1) * 1000 / bets:.2f} ms; errors {dict(errors) or 0}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("unary", "stream"), default="unary")
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--load-processes", type=int, default=1)
    parser.add_argument("--ref", default=None, help="run the service from this commit's code")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    import seeding
    from seeding import seed, service_environment, start_servers, upgrade

    servers = start_servers(DATA, fresh=False)
    upgrade(servers.database_url)
    env = service_environment(DATA, servers)
    # The largest single operation is 10^12 XTR now (domain.money); seeding.py's defaults are
    # above it.
    seeding.BANKROLL = min(seeding.BANKROLL, 10**12)
    seeding.HOT_BALANCE = min(seeding.HOT_BALANCE, 10**12)
    seeded = asyncio.run(seed(env, args.players, DATA / "seeded.json"))
    for pair in args.env:
        name, _, value = pair.partition("=")
        env[name] = value
    if args.ref is not None:
        env["PYTHONPATH"] = str(export_source(args.ref, DATA)[1])
    service = Service(env, DATA / "service-cost.log")
    try:
        service.wait_ready()
        for _ in range(args.repeat):
            spec = LoadSpec(
                address=service.address,
                api_key=seeded.api_key,
                mode=args.mode,
                players=seeded.players,
                concurrency=args.in_flight,
                seconds=args.seconds,
                warmup=args.warmup,
            )
            label = f"{args.mode} x{args.in_flight} {' '.join(args.env) or '(defaults)'}"
            print(
                label
                + (f" ref {args.ref}" if args.ref else "")
                + ": "
                + measure(service, spec, args.load_processes)
            )
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
