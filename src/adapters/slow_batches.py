"""A WARNING line for a bet batch that took too long, beside its metrics.

The histograms (`adapters.prometheus.placements`) show the batches' parts over minutes; an
on-call engineer reading the logs of an incident wants the moment too: when a batch was slow,
how many bets waited on it, and which part held it (the database's read or write, or this
process's decisions and the event-loop turns they waited for). When the database is slow every
batch is, a hundred a second at full rate, so the lines are rationed: at most one every
`every` seconds, saying how many more slow batches it stands for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from adapters.postgres.placement_timings import PlacementTimings

log = logging.getLogger(__name__)

DEFAULT_EVERY = 10.0

# What each part waits on, for the line: where an on-call engineer looks next.
_PARTS = (
    ("read", "the database's snapshot read"),
    ("decide", "this process (its CPU or its event loop's backlog)"),
    ("write", "the database's write and commit"),
)


class SlowBatchLog:
    """Tells `inner` every batch and logs one over `threshold` seconds (its three parts
    together), at most one line every `every` seconds."""

    def __init__(
        self,
        inner: PlacementTimings,
        threshold: float,
        *,
        every: float = DEFAULT_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold <= 0:
            raise ValueError("a slow batch's threshold is a positive number of seconds")
        self._inner = inner
        self._threshold = threshold
        self._every = every
        self._monotonic = monotonic
        self._last_line: float | None = None
        self._untold = 0  # slow batches since the last line, not logged one by one

    def written(self, bets: int, read: float, decide: float, write: float) -> None:
        self._inner.written(bets, read, decide, write)
        total = read + decide + write
        if total < self._threshold:
            return
        now = self._monotonic()
        if self._last_line is not None and now - self._last_line < self._every:
            self._untold += 1
            return
        others, self._untold = self._untold, 0
        since = None if self._last_line is None else now - self._last_line
        self._last_line = now
        parts = (read, decide, write)
        slowest = max(range(3), key=parts.__getitem__)
        log.warning(
            "slow bet batch: %d bet%s in %.0f ms (read %.0f, decide %.0f, write %.0f ms), "
            "most of it waiting on %s%s",
            bets,
            "" if bets == 1 else "s",
            total * 1000,
            read * 1000,
            decide * 1000,
            write * 1000,
            _PARTS[slowest][1],
            _more(others, since),
        )


def _more(others: int, since: float | None) -> str:
    if not others or since is None:
        return ""
    return f"; {others} more slow batch{'' if others == 1 else 'es'} in the {since:.0f} s before"
