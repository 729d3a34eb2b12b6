"""CPU per bet from the processes' own counters (issue 19): a service's process tree and the
PostgreSQL server's (the postmaster and its children), user + system seconds.

A process that exits between two readings (a backend whose client disconnected, a worker the
service forked) is not lost: once its parent has reaped it, its time is in the parent's
`children_user` / `children_system`, which the tree's total includes. Counters tick at 100 Hz,
so a reading is good to ~10 ms a process: read over seconds, not milliseconds."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil
from reference import Connection


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by `pid` and every descendant, living or reaped."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    total: float = times.user + times.system + times.children_user + times.children_system
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            own = child.cpu_times()
            total += own.user + own.system
    return total


async def postmaster_pid(admin: Connection) -> int | None:
    """The PostgreSQL server's postmaster, from `postmaster.pid` in its data directory (so
    another server on the machine, e.g. the test suite's, is never counted); None when the
    server is not on this machine or its data directory cannot be read."""
    conn = await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.user,
        password=admin.password,
        database=admin.database,
    )
    try:
        data_directory = str(await conn.fetchval("SHOW data_directory"))
    except asyncpg.PostgresError:  # only superusers and pg_read_all_settings may see it
        return None
    finally:
        await conn.close()
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
        if psutil.pid_exists(pid):
            return pid
    return None


def process_name(process: psutil.Process) -> str:
    """A short name for one process of the service's tree: `croupier relay` for the relay
    child (`python -c <launcher> relay --stop-with-parent`, entrypoints.cli.relay_process),
    else the command's executable and its first argument."""
    words = process.cmdline()
    if len(words) > 3 and words[1] == "-c" and "croupier" in words[2]:
        return f"croupier {words[3]}"
    return " ".join(w.rsplit("/", 1)[-1] for w in words[:2]) or process.name()


def tree_breakdown(pid: int, threads: bool = False) -> dict[str, float]:
    """CPU seconds used so far by each living process of `pid`'s tree, by `process_name`
    (the root as `serving`, with what its reaped children used); processes of one name add.
    With `threads`, also each process's threads by their name (`/proc/…/task/…/comm`), user
    and system apart: `serving | MainThread user`, … (threads of one name add)."""
    root = psutil.Process(pid)
    times = root.cpu_times()
    found = {"serving": times.user + times.system + times.children_user + times.children_system}
    if threads:
        _add_threads(found, "serving", root)
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            own = child.cpu_times()
            name = process_name(child)
            found[name] = found.get(name, 0.0) + own.user + own.system
            if threads:
                _add_threads(found, name, child)
    return found


def _add_threads(found: dict[str, float], name: str, process: psutil.Process) -> None:
    for thread in process.threads():
        comm = "?"
        with contextlib.suppress(OSError):
            comm = Path(f"/proc/{process.pid}/task/{thread.id}/comm").read_text().strip()
        if thread.id == process.pid:
            comm = "main"
        for part, seconds in (("user", thread.user_time), ("sys", thread.system_time)):
            key = f"{name} | {comm} {part}"
            found[key] = found.get(key, 0.0) + seconds


@dataclass(frozen=True, slots=True)
class CpuReading:
    service: float | None
    postgres: float | None
    # The service's tree process by process (tree_breakdown), when its CpuMeter asked for it.
    processes: dict[str, float] = field(default_factory=dict)


class CpuMeter:
    """Reads the service's and PostgreSQL's CPU counters (either may be unknown: None)."""

    def __init__(
        self,
        service_pid: int | None,
        postgres_pid: int | None,
        *,
        breakdown: bool = False,
        threads: bool = False,
    ) -> None:
        self._service = service_pid
        self._postgres = postgres_pid
        self._breakdown = breakdown or threads
        self._threads = threads

    def read(self) -> CpuReading:
        processes: dict[str, float] = {}
        if self._breakdown and self._service is not None:
            with contextlib.suppress(psutil.Error):
                processes = tree_breakdown(self._service, self._threads)
        return CpuReading(_maybe(self._service), _maybe(self._postgres), processes)


def _maybe(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        return tree_cpu(pid)
    except psutil.Error:
        return None


def per_bet_ms(
    before: CpuReading | None, after: CpuReading | None, bets: int
) -> tuple[float | None, float | None]:
    """Milliseconds of CPU a bet: the service's and PostgreSQL's (None when not measured)."""
    if before is None or after is None or bets <= 0:
        return None, None

    def one(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else (b - a) / bets * 1000

    return one(before.service, after.service), one(before.postgres, after.postgres)


def per_process_ms(
    before: CpuReading | None, after: CpuReading | None, bets: int
) -> dict[str, float]:
    """Milliseconds of CPU a bet of each process of the service's tree present at both
    readings (empty when not measured)."""
    if before is None or after is None or bets <= 0:
        return {}
    return {
        name: (after.processes[name] - used) / bets * 1000
        for name, used in before.processes.items()
        if name in after.processes
    }
