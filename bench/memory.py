"""Resident memory of the service, process by process (issue 19).

`croupier run` is several processes: the serving one, its outbox relay child (`croupier
relay`, a fresh interpreter, not a fork) and, with `CROUPIER_GRPC_PROCESSES` > 1, extra gRPC
workers. Each is sampled on its own, so a figure says which process holds the memory:

- **RSS**: the pages a process has resident, shared ones included (the interpreter, the
  libraries' code): what `ps` and the target read. The sum over processes counts a page
  shared by two processes twice.
- **PSS** (proportional set size, `/proc/PID/smaps_rollup`): each shared page divided among
  the processes sharing it, so the PSS of the processes adds up to what the service really
  occupies.

The database and Valkey are servers of their own and never counted.

What is read how often matters, since the sampler runs beside every case (a bet alone's p99
among them): RSS comes from `/proc/PID/statm`, a few counters, every 0.1 s; the process tree
(psutil reads every process's `/proc/PID/stat` to find children) and PSS (`smaps_rollup`
walks all of a process's page tables, holding its memory map's lock) every 2 s, and once more
when a case's peaks are taken. Every 0.1 s, those two took ~5 ms of CPU a sample and set
a lone bet's p99: the bets that overlapped a sample took 8–10 ms instead of 3–4 (perf sched,
bench/README.md, 2026-12-04, 21:36)."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MB = 2**20


def _pss(pid: int) -> int | None:
    """The process's PSS in bytes, from smaps_rollup (Linux 4.14+); None when unreadable."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return None


def role(process: psutil.Process, root: int) -> str:
    """What a process of the service is, from its command line."""
    if process.pid == root:
        return "serving"
    with contextlib.suppress(psutil.Error):
        command = " ".join(process.cmdline())
        if " relay" in command:
            return "relay"
        if "--grpc-worker" in command:
            return "grpc worker"
        return process.name()
    return "?"


@dataclass(slots=True)
class Peak:
    """The highest RSS and PSS a process was seen with (sampled separately: the two peaks
    may come from different moments)."""

    role: str
    rss: int = 0
    pss: int = 0

    def see(self, rss: int, pss: int | None) -> None:
        self.rss = max(self.rss, rss)
        if pss is not None:
            self.pss = max(self.pss, pss)


@dataclass(slots=True)
class Sample:
    total_rss: int = 0
    total_pss: int = 0
    processes: dict[int, Peak] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line a process, then the totals: for the run's output."""
        out = [
            f"    {peak.role:<12} pid {pid:>7}  RSS {peak.rss / MB:6.0f} MB  "
            f"PSS {peak.pss / MB:6.0f} MB"
            for pid, peak in sorted(self.processes.items())
        ]
        out.append(
            f"    {'all':<12} {'':>11}  RSS {self.total_rss / MB:6.0f} MB  "
            f"PSS {self.total_pss / MB:6.0f} MB  (peak of the sums)"
        )
        return out


def _python_tree(root: psutil.Process) -> list[psutil.Process]:
    """The service's own processes: the root and its Python children (a child such as
    pg_ctl or a shell is left out)."""
    tree = [root]
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            name = child.name().lower()
            if "python" in name or "croupier" in name:
                tree.append(child)
    return tree


class MemorySampler:
    """Samples the service's processes' RSS every `interval` seconds in a thread, and their
    tree and PSS every `slow_interval` (and at each `take`), keeping the peak RSS and PSS of
    each and of their sum since the last `take`."""

    def __init__(self, pid: int, interval: float = 0.1, slow_interval: float = 2.0) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval
        self._slow_every = max(1, round(slow_interval / interval))
        self._tree: list[tuple[psutil.Process, str]] = []
        self._pss: dict[int, int | None] = {}
        self._lock = threading.Lock()
        self._sample = Sample()
        self._overall = Sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self, slow: bool = True) -> None:
        """RSS of the processes known; with `slow`, the tree looked up again and PSS read (the
        sum of PSS uses each process's last PSS, or its RSS before it has one)."""
        if slow or not self._tree:
            self._tree = [(p, role(p, self._root.pid)) for p in _python_tree(self._root)]
        total_rss = total_pss = 0
        seen: list[tuple[int, str, int, int | None]] = []
        for process, name in self._tree:
            with contextlib.suppress(psutil.Error):
                rss = int(process.memory_info().rss)
                pss = _pss(process.pid) if slow else None
                if slow:
                    self._pss[process.pid] = pss
                seen.append((process.pid, name, rss, pss))
                total_rss += rss
                total_pss += self._pss.get(process.pid) or rss
        with self._lock:
            for sample in (self._sample, self._overall):
                for pid, name, rss, pss in seen:
                    sample.processes.setdefault(pid, Peak(name)).see(rss, pss)
                sample.total_rss = max(sample.total_rss, total_rss)
                sample.total_pss = max(sample.total_pss, total_pss)

    def _run(self) -> None:
        turn = 0
        while not self._stop.wait(self._interval):
            turn += 1
            with contextlib.suppress(psutil.Error):
                self._read(slow=turn % self._slow_every == 0)

    def take(self) -> Sample:
        """The peaks since the last call (read once more now)."""
        with contextlib.suppress(psutil.Error):
            self._read()
        with self._lock:
            sample, self._sample = self._sample, Sample()
        return sample

    def overall(self) -> Sample:
        """The peaks since the sampler started."""
        with contextlib.suppress(psutil.Error):
            self._read()
        with self._lock:
            return self._overall

    def take_peak_mb(self) -> float:
        """The peak RSS of all the service's processes together since the last call."""
        return self.take().total_rss / MB

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
