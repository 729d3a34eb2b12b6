"""The outbox relay as a child process of `croupier run`: started with it, restarted when it
dies, stopped with it (SIGTERM, then SIGKILL after a grace period), and gone when the parent
dies even by SIGKILL (it reads its stdin, a pipe from the parent, and stops at end of file).

A process of its own because the relay's CPU (reading the outbox, encoding, Redis writes) was
10-22% of the serving process's under load (issue 19); `CROUPIER_RELAY_IN_PROCESS=true` keeps
it inside for small deployments."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from typing import Final

from entrypoints.composition.endpoints import Endpoints

log = logging.getLogger("croupier")

# The child is the `croupier relay` command, run by this same interpreter.
_COMMAND: Final = (
    "from entrypoints.process.launcher import main; import sys; sys.argv[0] = 'croupier'; main()"
)
STOP_GRACE_S: Final = 15.0
_RESTART_MAX_S: Final = 30.0


def relay_child_argv() -> list[str]:
    return [sys.executable, "-c", _COMMAND, "relay", "--stop-with-parent"]


def relay_child_env(endpoints: Endpoints) -> dict[str, str]:
    """The parent's environment, with the servers it found or started (embedded ones
    included), so the child neither starts servers of its own nor stops them."""
    return {
        **os.environ,
        "CROUPIER_DATABASE_URL": endpoints.database_url,
        "CROUPIER_REDIS_URL": endpoints.redis_url,
    }


class RelayChild:
    """The relay's child process, while it runs."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None

    async def supervise(self, endpoints: Endpoints, stop: asyncio.Event) -> None:
        """Run the child until `stop`; a child that exits on its own with a failure is
        started again after a pause doubling from 1 s to 30 s."""
        delay = 1.0
        while not stop.is_set():
            self.process = await asyncio.create_subprocess_exec(
                *relay_child_argv(), env=relay_child_env(endpoints), stdin=asyncio.subprocess.PIPE
            )
            exited = asyncio.create_task(self.process.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.done():
                exited.cancel()
                await self._stop()
                return
            stopping.cancel()
            code = self.process.returncode
            if code == 0:  # it was asked to stop (a signal to the whole process group)
                return
            log.warning(
                "the outbox relay process exited with %s; restarting in %.0f s", code, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, _RESTART_MAX_S)

    async def _stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            log.warning("the outbox relay process did not stop in %.0f s; killing it", STOP_GRACE_S)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
