"""Jobs that `croupier run` repeats in the background while it serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(
    interval: float,
    job: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    name: str,
    *,
    at_once: bool = False,
) -> None:
    """Run `job` every `interval` seconds until `stop` is set (`at_once`: a first run right
    away). A failing run is logged and the next one happens on time: one bad hour must not
    end the monitoring for good."""
    first = at_once
    while not stop.is_set():
        if not first:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
        first = False
        if stop.is_set():
            return
        try:
            await job()
        except Exception:
            log.exception("periodic job %s failed; it runs again in %.0f s", name, interval)
