"""What both embedded servers need: the error they raise, the file lock that keeps two
processes from starting one at once, the remembered port, waiting for the port to answer, and
the liveness of a process."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started, reached or stopped; the message says why."""


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # valkey flushes its append-only file on SIGTERM
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while alive(pid):
        if time.monotonic() > deadline:
            raise EmbeddedServerError(f"process {pid} did not stop within {STARTUP_TIMEOUT_S}s")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_port(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "port").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def write_port(data_dir: Path, port: int) -> None:
    (data_dir / "port").write_text(f"{port}\n")


def remembered_or_free_port(data_dir: Path) -> int:
    """The port used last time if it is free, so URLs in a developer's notes stay valid."""
    remembered = read_port(data_dir)
    if remembered is not None and port_free(remembered):
        return remembered
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections in TIME_WAIT from the last run must not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_answers(port: int, *, ping: bool = False) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            if not ping:
                return True
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def wait_for_port(port: int, name: str, log_file: Path, *, ping: bool = False) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not port_answers(port, ping=ping):
        if time.monotonic() > deadline:
            tail = ""
            with contextlib.suppress(OSError):
                tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
            raise EmbeddedServerError(f"{name} did not answer on port {port}; log:\n{tail}")
        time.sleep(0.05)
