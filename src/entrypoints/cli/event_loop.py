"""The event loop a serving process runs on: uvloop when configured (the default) and installed,
asyncio's own otherwise."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from entrypoints.process.collector import tune_collector
from entrypoints.settings import Settings

T = TypeVar("T")


def loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when `CROUPIER_UVLOOP` is on and uvloop is installed (it has no Windows
    build); None: asyncio's default loop."""
    if not settings.uvloop or importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], settings: Settings) -> T:
    """`asyncio.run(main)` on the configured loop, with the garbage collector tuned for
    serving (`entrypoints.process.collector`)."""
    tune_collector(settings.gc_threshold)
    with asyncio.Runner(loop_factory=loop_factory(settings)) as runner:
        return runner.run(main)
