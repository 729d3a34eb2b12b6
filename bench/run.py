"""Throughput benchmark of the betting path against PostgreSQL's own limit (issue 9).

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
3. starts `croupier run` as a separate process (velocity limit and outcome monitor off) and
   drives settled bets at it from separate load-generator processes: unary PlayInstant and
   StreamBets, spread and hot, at each concurrency level, then a rate-limited run at half of
   the best unary rate; it samples the service's RSS all along;
4. prints a table and the issue's targets, met or not."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc
from loadgen import LoadResult, LoadSpec
from reference import PgbenchResult, create_reference_database, run_pgbench

if TYPE_CHECKING:
    from seeding import Seeded, Servers

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
CROUPIER = Path(sys.executable).with_name("croupier")
REFERENCE_DATABASE = "croupier_bench_reference"

TARGET_UNARY = 0.5
TARGET_STREAM = 1.5
TARGET_HOT = 2.0
TARGET_P99_MS = 25.0
TARGET_RSS_MB = 300.0


# ----------------------------------------------------------------------------- the service


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """`croupier run` in its own process, on free ports."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.grpc_port = _free_port()
        env = dict(env)
        env.update(
            CROUPIER_GRPC_PORT=str(self.grpc_port),
            CROUPIER_HTTP_PORT=str(_free_port()),
        )
        self._log = log_file.open("w")
        self.process = subprocess.Popen(
            [str(CROUPIER), "run", "--keep-servers"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.address = f"127.0.0.1:{self.grpc_port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"croupier run exited with {self.process.returncode}")
            if asyncio.run(self._serving()):
                return
            time.sleep(0.2)
        raise RuntimeError("croupier run did not answer health checks in time")

    async def _serving(self) -> bool:
        async with grpc.aio.insecure_channel(self.address) as channel:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=1
                )
            except grpc.aio.AioRpcError:
                return False
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class RssSampler:
    """Peak resident memory of the service: its process and any Python child (the database
    and Valkey are separate servers and are not counted)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss(self) -> int:
        total: int = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "python" in child.name().lower() or "croupier" in child.name().lower():
                    total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with contextlib.suppress(psutil.Error):
                self._peak = max(self._peak, self._rss())

    def take_peak_mb(self) -> float:
        """The peak since the last call."""
        with contextlib.suppress(psutil.Error):
            self._peak = max(self._peak, self._rss())
        peak, self._peak = self._peak, 0
        return peak / 2**20

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------- cases


@dataclass(slots=True)
class Row:
    name: str
    concurrency: int
    rate: float
    p50_ms: float
    p99_ms: float
    rss_mb: float | None = None
    errors: Counter[str] = field(default_factory=Counter)
    ratio: float | None = None


def _split(total: int, parts: int) -> list[int]:
    return [
        total // parts + (i < total % parts)
        for i in range(parts)
        if total // parts + (i < total % parts)
    ]


def drive(
    processes: int, make: Callable[[int, int], LoadSpec], concurrency: int
) -> tuple[float, float, float, Counter[str]]:
    """Run the load in `processes` load-generator processes (bench/loadgen.py, which never
    imports the application); returns bets/s, p50, p99 and the errors."""
    shares = _split(concurrency, processes)
    children = [
        subprocess.Popen(
            [sys.executable, str(BENCH / "loadgen.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in shares
    ]
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
    spec = make(concurrency, 0)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r.errors)
    ok = sum(r.ok for r in results)
    p50, p99 = _percentiles(latencies)
    return ok / spec.seconds, p50, p99, errors


def _percentiles(latencies_ms: list[float]) -> tuple[float, float]:
    latencies = sorted(latencies_ms)
    if not latencies:
        return float("nan"), 0.0
    return statistics.median(latencies), latencies[
        min(len(latencies) - 1, int(len(latencies) * 0.99))
    ]


@contextlib.contextmanager
def profiled(pid: int, out: Path | None, seconds: float) -> Iterator[None]:
    """py-spy record of the service while the body runs, as collapsed stacks (--format raw)
    and as a flame graph (SVG) made from them."""
    if out is None:
        yield
        return
    py_spy = Path(sys.executable).with_name("py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds) + 1),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out.with_suffix(".txt")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.wait()


# ------------------------------------------------------------------------------ the table


def _fmt_errors(errors: Counter[str]) -> str:
    return ", ".join(f"{k}×{v}" for k, v in errors.most_common(3)) or "-"


def print_table(
    header: list[str], rows: list[Row], reference: list[Row], targets: list[tuple[str, str, bool]]
) -> str:
    lines = [*header, ""]
    title = f"{'case':<26}{'in flight':>10}{'bets/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    title += f"{'RSS MB':>9}{'× ref':>8}  errors"
    lines += [title, "-" * len(title)]
    for row in [*reference, *rows]:
        rss = f"{row.rss_mb:.0f}" if row.rss_mb is not None else "-"
        flight = str(row.concurrency) if row.concurrency else "open"
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        lines.append(
            f"{row.name:<26}{flight:>10}{row.rate:>10.0f}{row.p50_ms:>9.1f}"
            f"{row.p99_ms:>9.1f}{rss:>9}{ratio:>8}  {_fmt_errors(row.errors)}"
        )
    lines += ["", "targets (issue 9):"]
    for name, value, met in targets:
        lines.append(f"  {'met    ' if met else 'NOT met'}  {name:<46} {value}")
    text = "\n".join(lines)
    print(text)
    return text


# ------------------------------------------------------------------------------- the run


SOURCE_ENV = "CROUPIER_BENCH_SOURCE"


def _reexec_on(ref: str, data_dir: Path) -> None:
    """Export `ref`'s src/ (git archive: no checkout, the index and the tree stay as they are)
    and start this script again with it first on PYTHONPATH, for the harness and the service."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    export = data_dir / f"src-{sha}"
    if not (export / "src").is_dir():
        export.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "src"], capture_output=True, cwd=ROOT, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(export)], input=archive, check=True)
        # The generated gRPC code is not in git; the protos' stubs of the working tree serve.
        for stub in (ROOT / "src" / "croupier" / "v1").glob("*_pb2*.py*"):
            target = export / "src" / "croupier" / "v1" / stub.name
            if not target.exists():
                shutil.copy(stub, target)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(export / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env[SOURCE_ENV] = f"commit {sha} (git archive)"
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per case")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument(
        "--concurrency", default="8,32,64", help="bets in flight, comma-separated levels"
    )
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1, help="load-generator processes")
    parser.add_argument("--quick", action="store_true", help="3-second cases at 32 in flight")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / ".data")
    parser.add_argument("--fresh", action="store_true", help="recreate and reseed the database")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the service into this folder"
    )
    parser.add_argument("--skip-reference", action="store_true", help="no pgbench")
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
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    seconds: float = args.seconds
    if args.ref is not None and SOURCE_ENV not in os.environ:
        _reexec_on(args.ref, data_dir)
    under_test = os.environ.get(SOURCE_ENV) or "the working tree"

    # Only now the application: from the working tree, or from the exported commit.
    from seeding import (
        check_books,
        seed,
        server_settings,
        service_environment,
        start_servers,
        stop_servers,
    )
    from seeding import upgrade as migrate_to_head

    servers = start_servers(data_dir, args.fresh)
    env = service_environment(data_dir, servers)
    try:
        migrate_to_head(servers.database_url)
        settings = asyncio.run(server_settings(servers.database_url))
        seeded = asyncio.run(seed(env, args.players, data_dir / "seeded.json"))
        reference = [] if args.skip_reference else run_reference(servers, levels, seconds, args)
        if not args.skip_reference:
            reference += run_floor(max(levels), seconds, args.warmup)
        rows, half = run_service(env, data_dir, seeded, levels, args)
        problems = asyncio.run(check_books(servers.database_url))
    finally:
        if servers.embedded and not args.keep_servers:
            stop_servers(data_dir)

    best_ref = max((r.rate for r in reference if "uniform" in r.name), default=0.0)
    best_ref_hot = max((r.rate for r in reference if "one player" in r.name), default=0.0)
    for row in rows:
        base = best_ref_hot if "hot" in row.name else best_ref
        row.ratio = row.rate / base if base else None

    def best(prefix: str) -> float:
        return max((r.rate for r in rows if r.name.startswith(prefix)), default=0.0)

    hot = max(best("unary hot"), best("stream hot"))
    peak_rss = max((r.rss_mb or 0.0 for r in [*rows, half]), default=0.0)
    targets = [
        (
            "unary, 10,000 players ≥ 0.5 × reference",
            f"{best('unary uniform') / best_ref if best_ref else 0:.2f} ×",
            best("unary uniform") >= TARGET_UNARY * best_ref > 0,
        ),
        (
            "stream, 10,000 players ≥ 1.5 × reference",
            f"{best('stream uniform') / best_ref if best_ref else 0:.2f} ×",
            best("stream uniform") >= TARGET_STREAM * best_ref > 0,
        ),
        (
            "one hot player ≥ 2 × one-player reference",
            f"{hot / best_ref_hot if best_ref_hot else 0:.2f} ×",
            hot >= TARGET_HOT * best_ref_hot > 0,
        ),
        (
            f"p99 at half of peak ({half.rate:.0f}/s) ≤ 25 ms",
            f"{half.p99_ms:.1f} ms",
            half.p99_ms <= TARGET_P99_MS and not half.errors,
        ),
        ("service RSS under load ≤ 300 MB", f"{peak_rss:.0f} MB", peak_rss <= TARGET_RSS_MB),
    ]
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
        f"{os.cpu_count()} CPUs  {seconds:g} s a case, {args.processes} load process(es)",
        "PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        f"service: croupier run from {under_test}, on {where}; "
        "velocity limit off, outcome monitor off; game coin, stake 10 XTR",
        "ledger after the run: "
        + ("reconciles (reconcile: no problem)" if not problems else "; ".join(problems[:5])),
        "× ref: uniform cases against the best uniform pgbench tps, hot against the best "
        "one-player tps",
    ]
    text = print_table(header, [*rows, half], reference, targets)
    (data_dir / "last-run.txt").write_text(text + "\n")
    return 0


def run_floor(level: int, seconds: float, warmup: float) -> list[Row]:
    """The grpc.aio floor: the same load against a server that does nothing (grpc_floor.py)."""
    from grpc_floor import measure

    rows = []
    for mode in ("unary", "stream"):
        result = measure(mode, level, seconds, warmup)
        p50, p99 = _percentiles(result.latencies_ms)
        rows.append(Row(f"grpc floor {mode} (no work)", level, result.ok / seconds, p50, p99))
        print(f"  {rows[-1].name} c={level}: {rows[-1].rate:.0f} calls/s", flush=True)
    return rows


def run_reference(
    servers: Servers, levels: list[int], seconds: float, args: argparse.Namespace
) -> list[Row]:
    target = asyncio.run(create_reference_database(servers.admin, REFERENCE_DATABASE, args.players))
    rows = []
    for label, players in (("uniform", args.players), ("one player", 1)):
        for clients in levels:
            result: PgbenchResult = run_pgbench(
                target, clients=clients, players=players, seconds=max(1, round(seconds))
            )
            errors: Counter[str] = Counter({"failed": result.failed} if result.failed else {})
            rows.append(
                Row(
                    f"pgbench {label}",
                    clients,
                    result.tps,
                    result.p50_ms,
                    result.p99_ms,
                    errors=errors,
                )
            )
            print(f"  {rows[-1].name} c={clients}: {result.tps:.0f} tps", flush=True)
    return rows


def run_service(
    env: dict[str, str],
    data_dir: Path,
    seeded: Seeded,
    levels: list[int],
    args: argparse.Namespace,
) -> tuple[list[Row], Row]:
    service = Service(env, data_dir / "service.log")
    rows: list[Row] = []
    try:
        service.wait_ready()
        sampler = RssSampler(service.process.pid)
        try:
            cases = (
                ("unary uniform", "unary", seeded.players),
                ("stream uniform", "stream", seeded.players),
                ("unary hot", "unary", (seeded.hot,)),
                ("stream hot", "stream", (seeded.hot,)),
            )
            for name, mode, players in cases:
                for level in levels:

                    def make(
                        share: int, _: int, mode: str = mode, players: tuple[int, ...] = players
                    ) -> LoadSpec:
                        return LoadSpec(
                            address=service.address,
                            api_key=seeded.api_key,
                            mode=mode,
                            players=players,
                            concurrency=share,
                            seconds=args.seconds,
                            warmup=args.warmup,
                        )

                    profile = None
                    if args.profile is not None and level == max(levels):
                        profile = args.profile / f"{name.replace(' ', '-')}-{level}"
                    sampler.take_peak_mb()
                    with profiled(service.process.pid, profile, args.seconds + args.warmup):
                        rate, p50, p99, errors = drive(args.processes, make, level)
                    row = Row(name, level, rate, p50, p99, sampler.take_peak_mb(), errors)
                    rows.append(row)
                    print(f"  {name} x{level}: {rate:.0f} bets/s p99 {p99:.1f} ms", flush=True)

            peak = max((r.rate for r in rows if r.name == "unary uniform"), default=100.0)
            half_rate = peak / 2

            def rated(share: int, index: int) -> LoadSpec:
                return LoadSpec(
                    address=service.address,
                    api_key=seeded.api_key,
                    mode="rate",
                    players=seeded.players,
                    concurrency=max(1, share),
                    seconds=args.seconds,
                    warmup=args.warmup,
                    rate=half_rate / args.processes,
                )

            sampler.take_peak_mb()
            rate, p50, p99, errors = drive(args.processes, rated, 512)
            half = Row(
                "unary at half peak (rate)", 0, rate, p50, p99, sampler.take_peak_mb(), errors
            )
            print(f"  half peak {half_rate:.0f}/s: {rate:.0f} bets/s p99 {p99:.1f} ms", flush=True)
        finally:
            sampler.close()
    finally:
        service.stop()
    return rows, half


if __name__ == "__main__":
    sys.exit(main())
