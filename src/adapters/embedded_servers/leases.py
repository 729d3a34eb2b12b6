"""Which processes use the embedded servers, so that a process stops them only when no other
process is using them.

Every `croupier` process that uses an embedded server holds a lease: a file
`<data dir>/leases/<pid>` naming its process start time and the servers it uses. A server
started by a `croupier` process is marked `<data dir>/<server>.autostop` (unless started with
`--keep-servers`): the last process to leave stops it. A server found running without the mark
(started by hand, by the test suite, or kept) is never stopped by a leaving process.

Crashes: a lease whose process is gone, or whose pid now belongs to another process (the start
time differs), is stale; it is deleted when seen and counts for nothing, so it can neither keep
the servers up forever nor stop them under a live process. Taking and giving up leases (with
the start or stop they lead to) happen under one file lock, so a process cannot register while
another decides to stop."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adapters.embedded_servers.processes import alive

POSTGRES = "postgres"
VALKEY = "valkey"


@dataclass(frozen=True, slots=True)
class Holder:
    """A live process using the servers."""

    pid: int
    servers: frozenset[str]


@dataclass(slots=True)
class Lease:
    """This process's use of the embedded servers under one data folder."""

    data_dir: Path
    using: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)

    def take(self, server: str, start: Callable[[], tuple[str, bool]], *, keep: bool) -> str:
        """Start (or find running) `server` through `start`, which returns its URL and whether
        it started it, and record that this process uses it; returns the URL."""
        with self._locked():
            url, started = start()
            self.using.add(server)
            mark = self._mark(server)
            if started:
                self.started.add(server)
                if keep:
                    mark.unlink(missing_ok=True)
                else:
                    mark.write_text(f"{os.getpid()}\n")
            self._write()
        return url

    def give_up(
        self, stop: dict[str, Callable[[], object]], *, keep: bool = False
    ) -> tuple[list[str], list[Holder]]:
        """Drop this process's lease. Each server it used that a `croupier` process started
        (and did not keep) is stopped through `stop` when no other live process uses it, unless
        `keep`. Returns the servers stopped and the live holders that keep the others running."""
        stopped: list[str] = []
        with self._locked():
            self._path(os.getpid()).unlink(missing_ok=True)
            holders = self.holders()
            for server in sorted(self.using):
                if keep or any(server in h.servers for h in holders):
                    continue
                mark = self._mark(server)
                if mark.exists():
                    stop[server]()
                    mark.unlink(missing_ok=True)
                    stopped.append(server)
            self.using.clear()
        return stopped, holders

    def holders(self) -> list[Holder]:
        """The other live processes holding a lease; stale leases are deleted on the way."""
        folder = self.data_dir / "leases"
        found: list[Holder] = []
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            try:
                pid = int(path.name)
                recorded, *servers = path.read_text().split()
            except (ValueError, OSError):
                path.unlink(missing_ok=True)
                continue
            if pid == os.getpid():
                continue
            if not alive(pid) or recorded != _start_time(pid):
                path.unlink(missing_ok=True)  # a crashed process, or its pid reused
                continue
            found.append(Holder(pid, frozenset(servers)))
        return found

    def _write(self) -> None:
        path = self._path(os.getpid())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{_start_time(os.getpid())} {' '.join(sorted(self.using))}\n")

    def _path(self, pid: int) -> Path:
        return self.data_dir / "leases" / str(pid)

    def _mark(self, server: str) -> Path:
        return self.data_dir / f"{server}.autostop"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".leases.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat):
    with the pid, it names one process; a pid reused after a crash has another."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return "?"
    return fields[19]  # fields after the name start at field 3


def forget_autostop(data_dir: Path) -> None:
    """`croupier servers stop`: the servers are stopped by hand, no mark outlives them."""
    for server in (POSTGRES, VALKEY):
        (data_dir / f"{server}.autostop").unlink(missing_ok=True)
