"""A small in-process cache whose entries are read again before they expire, once at a time.

Made for rows every call needs and that may change underneath (an API key that may be revoked,
`adapters.postgres.api_keys`; the lobby's launchable games, `application.aggregators`): each
entry is used for at most `max_age` seconds after it was read, which bounds how late a
change is seen. Two things a plain time-to-live cache does badly under load, this one does not
(issue 19; bench/README.md, "2026-12-04, 17:26–18:37 UTC: the half-of-peak stalls named"):

- **No herd.** When an entry expires, every caller that finds it expired used to read it
  again at the same moment: at 400 calls a second, a dozen reads of one row, each wanting a
  pooled connection while the bets held theirs, so the pool opened new ones (a connection's
  start and its first statements took ~70 ms here) and every call behind them waited. Here
  callers of one key share one read.
- **No wait while fresh enough.** Once an entry is older than `refresh_after`, the first
  caller starts a read in the background and everyone is answered from the entry still in
  hand; only a caller finding it older than `max_age` (nobody asked for it during the whole
  window between the two) waits for the read. A busy key is therefore never waited for.

A failed read is not cached: the callers waiting for it get its error, and the next caller
tries again. A background read that fails leaves the entry as it was, so it is read again by
the next caller, until `max_age` makes callers wait and see the error themselves."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RefreshedCache(Generic[K, V]):
    """`get(key)` answers `load(key)`'s value, read again in the background after
    `refresh_after` seconds and never used past `max_age` (see the module). At most `most`
    entries are kept (then the cache starts again), so keys made up by callers (unknown API
    keys are cached too, as None) cannot grow it without bound."""

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        *,
        max_age: float,
        refresh_after: float,
        most: int = 4096,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= refresh_after <= max_age:
            raise ValueError("a refreshed cache needs 0 <= refresh_after <= max_age")
        self._load = load
        self._max_age = max_age
        self._refresh_after = refresh_after
        self._most = most
        self._monotonic = monotonic
        self._entries: dict[K, tuple[float, V]] = {}
        self._reads: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K) -> V:
        entry = self._entries.get(key)
        if entry is not None:
            age = self._monotonic() - entry[0]
            if age < self._max_age:
                if age >= self._refresh_after and key not in self._reads:
                    self._read(key)
                return entry[1]
        read = self._reads.get(key) or self._read(key)
        # Shielded: a caller that goes away (its RPC cancelled) does not cancel the read the
        # others are waiting for.
        return await asyncio.shield(read)

    def forget(self, key: K) -> None:
        """Drop an entry (the caller changed the row): the next `get` reads it again. A read
        under way when this is called is not trusted either."""
        self._entries.pop(key, None)
        self._reads.pop(key, None)

    def _read(self, key: K) -> asyncio.Future[V]:
        started = self._monotonic()
        read = asyncio.ensure_future(self._load(key))
        self._reads[key] = read

        def done(read: asyncio.Future[V]) -> None:
            # Looked at even when nobody awaits it (a background read), so a failure is not
            # logged as an exception never retrieved.
            failed = read.cancelled() or read.exception() is not None
            if self._reads.get(key) is not read:
                return  # forgotten meanwhile: its value may be from before the change
            del self._reads[key]
            if failed:
                return
            if len(self._entries) >= self._most and key not in self._entries:
                self._entries.clear()
            # Aged from when the read started: the row may have changed just after.
            self._entries[key] = (started, read.result())

        read.add_done_callback(done)
        return read
