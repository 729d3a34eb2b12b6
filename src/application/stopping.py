"""How the long-running loops (the outbox relay, the crash driver, the notices' sender and
listener) pause: for a while, or less if they are asked to stop."""

from __future__ import annotations

import asyncio
import contextlib


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, but wake at once when `stop` is set; nothing to wait for at 0 or less."""
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
