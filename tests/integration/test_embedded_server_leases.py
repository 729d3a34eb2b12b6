"""A process stops only embedded servers no other croupier process is using (real processes).

Stopping a second `croupier run` used to stop the servers the first was using. Now every
process holds a lease under the data folder; the last one out stops what a croupier process
started, and a crashed process's lease counts for nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 180.0


def _env(data: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    return {
        **base,
        "CROUPIER_DATA_DIR": str(data),
        "CROUPIER_LOG_LEVEL": "WARNING",
        "CROUPIER_RISK_MONITOR_INTERVAL_S": "0",
    }


_STARTED: list[subprocess.Popen[bytes]] = []


class Run:
    """A `croupier run --only relay` process (no ports of its own), its output in a file."""

    def __init__(self, data: Path, name: str, *options: str) -> None:
        self.log = data.parent / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "run", "--only", "relay", *options],
                env=_env(data),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _STARTED.append(self.process)
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Croupier is running" not in self.output():
            assert self.process.poll() is None, f"{name} exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"{name} did not start:\n{self.output()}"
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> str:
        self.process.send_signal(sig)
        self.process.wait(timeout=120)
        return self.output()


def command(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


def answering(data: Path) -> dict[str, bool]:
    """Whether each embedded server answers on its remembered port."""
    result = {}
    for server in ("postgres", "valkey"):
        port = int((data / server / "port").read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                result[server] = True
        except OSError:
            result[server] = False
    return result


UP = {"postgres": True, "valkey": True}
DOWN = {"postgres": False, "valkey": False}


@pytest.fixture
def data(server_folder: Path) -> Iterator[Path]:
    folder = server_folder / "data"
    yield folder
    # Whatever a failed test left running: its processes, then the servers.
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()
    command(folder, "servers", "stop")


def test_stopping_the_second_run_leaves_the_first_its_servers(data: Path) -> None:
    first = Run(data, "first")
    second = Run(data, "second")
    assert "stopped the embedded" not in second.stop()
    assert first.process.poll() is None
    assert answering(data) == UP  # the first still has its database

    # A command beside a running server: it starts nothing and stops nothing.
    current = command(data, "db", "current")
    assert current.returncode == 0, current.stderr
    assert "started the embedded" not in current.stderr
    assert "stopped the embedded" not in current.stderr
    assert answering(data) == UP

    # The last one out turns the lights off.
    assert "stopped the embedded PostgreSQL and Valkey" in first.stop()
    assert answering(data) == DOWN


def test_a_command_that_started_the_servers_says_so_and_stops_them(data: Path) -> None:
    current = command(data, "db", "current")
    assert current.returncode == 0, current.stderr
    assert "started the embedded PostgreSQL and Valkey" in current.stderr
    assert "stopped the embedded PostgreSQL and Valkey" in current.stderr
    assert answering(data) == DOWN


def test_the_starter_leaving_first_leaves_them_to_the_run_still_using_them(data: Path) -> None:
    first = Run(data, "first")  # starts the servers
    second = Run(data, "second")
    left = first.stop()
    assert f"croupier process {second.process.pid} is using them" in left
    assert answering(data) == UP
    assert "stopped the embedded PostgreSQL and Valkey" in second.stop()
    assert answering(data) == DOWN


def test_a_crashed_process_keeps_nothing_up_and_stops_nothing_under_a_live_one(
    data: Path,
) -> None:
    crashed = Run(data, "crashed")
    crashed.stop(signal.SIGKILL)  # its lease stays behind
    assert (data / "leases" / str(crashed.process.pid)).exists()
    # A live process's pid with another start time: the crashed one's pid, reused.
    (data / "leases" / str(os.getpid())).write_text("1 postgres valkey\n")
    assert answering(data) == UP

    survivor = Run(data, "survivor")
    current = command(data, "db", "current")
    assert "stopped the embedded" not in current.stderr  # the survivor uses them
    assert answering(data) == UP

    # The stale leases count for nothing: the survivor, last out, stops the servers.
    assert "stopped the embedded PostgreSQL and Valkey" in survivor.stop()
    assert answering(data) == DOWN
    assert list((data / "leases").iterdir()) == []


def test_keep_servers_leaves_them_running_for_good(data: Path) -> None:
    kept = Run(data, "kept", "--keep-servers")
    assert "left the embedded PostgreSQL and Valkey running (--keep-servers)" in kept.stop()
    assert answering(data) == UP
    # Not started by a process that will stop them: the next one out leaves them too.
    current = command(data, "db", "current")
    assert "stopped the embedded" not in current.stderr
    assert answering(data) == UP
    stopped = command(data, "servers", "stop")
    assert "embedded servers stopped" in stopped.stdout
    assert answering(data) == DOWN
