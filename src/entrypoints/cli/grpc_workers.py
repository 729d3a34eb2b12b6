"""The other gRPC processes of `croupier run` when `CROUPIER_GRPC_PROCESSES` is above 1.

A Python process serves on one core, so `croupier run` can start more processes that serve
only gRPC, each bound to the same port with `SO_REUSEPORT`: the kernel spreads incoming
connections among them (a connection, and so a stream, stays with the process that accepted
it). Each is `croupier run --only grpc` with the first process's database and Redis, on the
port the first one bound (so `CROUPIER_GRPC_PORT=0` works too), and with the schema already
migrated by it. The first process keeps everything else: the other parts, the relay, the
metrics endpoint, the heartbeat.

Each process has its own bet queue: a player's bets are serialized within a process only, and
across processes by the database's row locks, as between any two transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from entrypoints.cli.run import WORKER_OPTION
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings

log = logging.getLogger("croupier")

# Longer than a gRPC drain (GrpcServer's grace): a process still there after it is killed.
STOP_SECONDS = 15.0


class GrpcWorkers:
    """The started processes; `watch` tasks end when one exits, `stop` drains and ends them."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes
        self._stopping = False
        self.watches = [asyncio.create_task(self._watch(p)) for p in processes]

    @classmethod
    async def start(cls, settings: Settings, endpoints: Endpoints, port: int) -> GrpcWorkers:
        env = dict(os.environ)
        env.update(
            CROUPIER_GRPC_PORT=str(port),
            CROUPIER_DATABASE_URL=endpoints.database_url,
            CROUPIER_REDIS_URL=endpoints.redis_url,
        )
        command = (sys.executable, "-m", "entrypoints.cli", "run", "--only", "grpc", WORKER_OPTION)
        processes = [
            await asyncio.create_subprocess_exec(*command, env=env)
            for _ in range(settings.grpc_processes - 1)
        ]
        return cls(processes)

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if not self._stopping:
            # The heartbeat watches this task: the service reports itself unhealthy.
            log.error("gRPC process %d exited with %s", process.pid, code)

    async def stop(self) -> None:
        """SIGTERM to each (it drains its calls, as this process does), then wait; one that
        outlives STOP_SECONDS is killed."""
        self._stopping = True
        for process in self.processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), STOP_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        await asyncio.gather(*self.watches)
