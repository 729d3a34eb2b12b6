"""How long each `croupier` command takes to start: wall time, CPU time and import time.

Each command runs as an operator runs it, in a process of its own, `--runs` times (default 5);
the table shows the medians. Import time is what `python -X importtime` reports for the
command's top-level imports (their cumulative microseconds summed), CPU time is the child's
user + system time (os.wait4), wall time includes the command's own work (for `db current`, a
connection and one query). The `db` and `currency` rows need servers: the embedded ones under
bench/.data/cli (started once, stopped at the end), or CROUPIER_DATABASE_URL /
CROUPIER_REDIS_URL when set. Noisy on a shared machine: compare rows measured in the same
minute (`--ref` measures another commit's code, e.g. `--ref HEAD~3`)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from exported import SOURCE_ENV, reexec_on

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data" / "cli"
SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"

# The console script's entry point, as `croupier ARGS` runs it.
LAUNCH = (
    "import sys; sys.argv = ['croupier', *sys.argv[1:]]; "
    "from entrypoints.process.launcher import main; main()"
)

OFFLINE: list[list[str]] = [
    ["--help"],
    ["run", "--help"],
    ["verify", "--game", "dice", "--server-seed", SEED, "--client-seed", "c", "--nonce", "0"],
    ["health", "--help"],
]
ONLINE: list[list[str]] = [["db", "current"], ["currency", "list"]]


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float
    import_s: float


def measure(args: list[str], env: dict[str, str]) -> Timing:
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-c", LAUNCH, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        output = err.read()
    if process.returncode != 0:
        raise SystemExit(f"croupier {' '.join(args)} failed:\n{output[-2000:]}")
    return Timing(wall, usage.ru_utime + usage.ru_stime, _top_level_import_s(output))


def _top_level_import_s(stderr: str) -> float:
    """The sum of the cumulative times of the imports made at the top level (an entry whose
    name is not indented is one; its cumulative time includes everything it imported)."""
    total_us = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and not name.startswith("  "):
            total_us += int(cumulative)
    return total_us / 1e6


def _servers() -> tuple[dict[str, str], list[Path]]:
    """The URLs the online commands use, and the embedded servers to stop afterwards."""
    if os.environ.get("CROUPIER_DATABASE_URL") and os.environ.get("CROUPIER_REDIS_URL"):
        return {}, []
    from adapters.embedded_servers import ensure_database, ensure_postgres, ensure_valkey

    DATA.mkdir(parents=True, exist_ok=True)
    database = ensure_database(ensure_postgres(DATA / "postgres"), "croupier")
    redis = ensure_valkey(DATA / "valkey")
    env = {
        "CROUPIER_DATABASE_URL": database,
        "CROUPIER_REDIS_URL": redis,
        "CROUPIER_DATA_DIR": str(DATA),
    }
    return env, [DATA / "postgres", DATA / "valkey"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median shown)")
    parser.add_argument("--offline", action="store_true", help="only the commands without servers")
    parser.add_argument("--ref", default=None, help="measure this commit's code instead")
    args = parser.parse_args(argv)
    if args.ref is not None and SOURCE_ENV not in os.environ:
        reexec_on(args.ref, DATA)
    commands = OFFLINE if args.offline else [*OFFLINE, *ONLINE]
    extra, started = ({}, []) if args.offline else _servers()
    env = {**os.environ, **extra, "CROUPIER_LOG_LEVEL": "WARNING"}
    source = os.environ.get(SOURCE_ENV, "working tree")
    print(f"croupier start-up, {source}, median of {args.runs} runs, {os.cpu_count()} CPUs")
    print(f"{'command':<22}{'wall s':>9}{'CPU s':>9}{'import s':>10}")
    try:
        for command in commands:
            measure(command, env)  # warm the file cache and the .pyc files
            runs = [measure(command, env) for _ in range(args.runs)]
            label = " ".join(command[:2])
            print(
                f"{label:<22}"
                f"{statistics.median(r.wall_s for r in runs):>9.2f}"
                f"{statistics.median(r.cpu_s for r in runs):>9.2f}"
                f"{statistics.median(r.import_s for r in runs):>10.2f}"
            )
    finally:
        from adapters.embedded_servers import stop_postgres, stop_valkey

        if started:
            stop_postgres(started[0])
            stop_valkey(started[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
