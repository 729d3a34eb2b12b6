"""Log lines written together, once per turn of the event loop, instead of one write each.

A serving process logs a line per call (its access line); a plain `StreamHandler` writes and
flushes each one, a `write` system call a call. Under load one turn of the event loop serves
many calls, so their lines can go out in one `write` at the end of the turn: the order is
kept (one buffer, under the handler's lock), a line waits at most until the loop's next turn,
and nothing waits at all when it matters:

- a record of WARNING or above is written at once, with every line before it;
- a record logged where no event loop runs (another thread, before or after the loop) is
  written at once, with every line before it;
- `flush()` and `close()` write what is held: `logging.shutdown` (at exit) calls both, so a
  clean stop loses no line. A process killed outright can lose the lines of its last turn;
- a forked child starts with nothing held: the parent writes what it held, once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
import weakref
from typing import TextIO


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A `StreamHandler` that holds INFO and DEBUG lines logged on an event loop until the
    loop's next turn, then writes them in one `write`."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._held: list[str] = []
        # The loop a write is scheduled on (None: none is): one write a turn, not one a line.
        self._scheduled_on: asyncio.AbstractEventLoop | None = None
        _handlers.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        # Called by `Handler.handle` with the handler's lock held.
        try:
            self._held.append(self.format(record))
            if record.levelno < logging.WARNING:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    loop = None
                if loop is not None:
                    if self._scheduled_on is not loop:
                        loop.call_soon(self._write_turn)
                        self._scheduled_on = loop
                    return
            self._write_held()
        except RecursionError:  # as StreamHandler does
            raise
        except Exception:
            self.handleError(record)

    def _write_turn(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # a Handler's lock is made in __init__
            self._scheduled_on = None
            try:
                self._write_held()
            except Exception:  # no record to hand `handleError`: say it as it would
                if logging.raiseExceptions and sys.stderr:
                    traceback.print_exc(file=sys.stderr)

    def _write_held(self) -> None:
        if not self._held:
            return
        text = self.terminator.join(self._held) + self.terminator
        self._held.clear()
        self.stream.write(text)
        self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._held and self.stream and hasattr(self.stream, "write"):
                self._write_held()
        super().flush()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            super().close()


_handlers: weakref.WeakSet[BatchedStreamHandler] = weakref.WeakSet()


def _forget_held() -> None:
    for handler in list(_handlers):
        handler._held = []
        handler._scheduled_on = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held)
