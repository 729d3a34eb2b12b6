"""A heartbeat file: the health signal of the processes that serve no port (the bot's long
polling, the outbox relay). The process rewrites it every interval while `alive()` holds;
`croupier health heartbeat` calls the process healthy while the file is fresh. A hung event
loop, a crashed part or a database that stopped answering all stop the beat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger(__name__)


def beat(path: Path) -> None:
    # Written beside and renamed over: a probe never reads a half-written file.
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(f"{time.time():.3f}\n")
    scratch.replace(path)


async def keep_beating(
    path: Path, interval: float, alive: Callable[[], Awaitable[bool]], stop: asyncio.Event
) -> None:
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    try:
        while not stop.is_set():
            if await alive():
                await asyncio.to_thread(beat, path)
            else:
                log.warning("heartbeat skipped: a part of this process is down")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
    finally:
        # A process that is stopping is not healthy, whatever the file's age.
        await asyncio.to_thread(path.unlink, missing_ok=True)


def age(path: Path) -> float | None:
    """Seconds since the last beat; None when there is no heartbeat file."""
    try:
        written = float(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return max(0.0, time.time() - written)
