"""The service under test: `croupier run` in a process of its own on free ports, ready once it
answers health checks and its relay holds the outbox and has published what the outbox held;
and py-spy recording it while a case runs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from driving import ROOT
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.exc import SQLAlchemyError

from adapters.postgres.engine import create_engine
from adapters.postgres.outbox import SqlRelaySession

CROUPIER = Path(sys.executable).with_name("croupier")


async def outbox_behind(database_url: str) -> bool:
    """Whether the outbox holds events the relay has not published (`SqlRelaySession.backlog`,
    the relay's own count, read without its lock)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            return await SqlRelaySession(conn).backlog() > 0
    finally:
        await engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Service:
    """`croupier run` in its own process, on free ports."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.grpc_port = _free_port()
        self.http_port = _free_port()  # its /metrics too (bench/batches.py)
        env = dict(env)
        env.update(
            CROUPIER_GRPC_PORT=str(self.grpc_port),
            CROUPIER_HTTP_PORT=str(self.http_port),
        )
        self._log_file = log_file
        self._database_url = env.get("CROUPIER_DATABASE_URL", "")
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
                self._wait_relay(deadline)
                return
            time.sleep(0.2)
        raise RuntimeError("croupier run did not answer health checks in time")

    def _wait_relay(self, deadline: float) -> None:
        """Wait until the relay holds the outbox (its log line): `croupier run` answers health
        checks before its relay child has imported the application, and that start-up (a
        second or more of CPU) must not fall inside a measured window."""
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if "outbox relay running" in self._log_file.read_text(errors="replace"):
                    self._wait_outbox(deadline)
                    return
            time.sleep(0.2)
        print("  (the relay did not say it was running; measuring anyway)", file=sys.stderr)

    def _wait_outbox(self, deadline: float) -> None:
        """Wait until the relay has published what the outbox held when the service started,
        so that its catching up does not fall inside the first case's window: the seeding's
        events (some 40,000) in a copy of a template kept before `seeding.mark_published`, or
        whatever a database of CROUPIER_DATABASE_URL holds."""
        if not self._database_url:
            return
        started = time.monotonic()
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, SQLAlchemyError):
                if not asyncio.run(outbox_behind(self._database_url)):
                    if time.monotonic() - started >= 1:
                        waited = time.monotonic() - started
                        print(f"  the relay caught up with the outbox in {waited:.1f} s")
                    return
            time.sleep(0.2)
        print("  (the relay had not caught up with the outbox; measuring anyway)", file=sys.stderr)

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
        terminate(self.process, grace=30)
        self._log.close()


def terminate(process: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM, then SIGKILL if the process has not exited after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
