"""The outbox relay: publishes what the outbox recorded, in order, at least once.

One relay runs at a time (the outbox feed's lock; a second one waits). It reads a batch of
unpublished events in outbox order, publishes them, and only then marks them published. So:

- order per aggregate: an aggregate's events are committed in sequence order (see the outbox
  adapter), and the relay publishes in outbox order, never skipping a row it has not published;
- at least once: a crash or a lost connection between publishing and marking publishes the
  batch again after the restart; consumers dedupe by `event_id`;
- a publisher outage (Redis down) leaves the batch unmarked; the relay backs off and retries the
  same events, from the oldest unpublished one, until they go out;
- a database outage ends the session (and its lock); the relay backs off and claims again."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from application.ports import EventPublisher, OutboxFeed, RelaySession
from application.stopping import pause

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """`poll_interval`: how long an idle relay waits before looking again (seconds), which is
    the latency of an event when the outbox was empty; `batch_size`: events per publish;
    `min_backoff`/`max_backoff`: the waits after a failure, doubling from one to the other;
    `lock_poll`: how often a relay waiting for the running one to stop tries again."""

    poll_interval: float = 0.05
    batch_size: int = 500
    min_backoff: float = 0.1
    max_backoff: float = 5.0
    lock_poll: float = 1.0

    def __post_init__(self) -> None:
        if self.poll_interval <= 0 or self.batch_size <= 0:
            raise ValueError("the relay's poll interval and batch size must be positive")
        if self.lock_poll <= 0 or not 0 < self.min_backoff <= self.max_backoff:
            raise ValueError("the relay's waits must be positive, min_backoff <= max_backoff")


class OutboxRelay:
    def __init__(
        self,
        outbox: OutboxFeed,
        publisher: EventPublisher,
        settings: RelaySettings | None = None,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._settings = settings or RelaySettings()
        self.published = 0  # events published by this relay (with repeats), for tests/metrics
        # True while this relay holds the outbox lock: it is the one publishing.
        self.holding = False
        self._backoff = self._settings.min_backoff

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Relay until `stop` is set (or the task is cancelled), surviving outages of the
        database and of the publisher."""
        stop = stop or asyncio.Event()
        settings = self._settings
        self._backoff = settings.min_backoff
        waiting = False
        while not stop.is_set():
            try:
                async with self._outbox.claim() as session:
                    if session is None:
                        if not waiting:
                            log.info("another relay publishes the outbox; waiting for it")
                            waiting = True
                        await pause(stop, settings.lock_poll)
                        continue
                    log.info("outbox relay running")
                    waiting = False
                    self.holding = True
                    try:
                        await self._relay_while_holding(session, stop)
                    finally:
                        self.holding = False
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox relay lost its database session; retrying", exc_info=True)
                await self._back_off(stop)

    async def _relay_while_holding(self, session: RelaySession, stop: asyncio.Event) -> None:
        settings = self._settings
        while not stop.is_set():
            try:
                relayed = await self.relay_batch(session)
            except PublishFailed:
                await self._back_off(stop)
                continue
            self._backoff = settings.min_backoff
            # A short batch is the end of the backlog, unless the session cut it short itself
            # (a batch's bytes are bounded: a backlog of large rows comes in batches of few
            # events, and waiting a poll after each would slow its catching up).
            if relayed < settings.batch_size and not session.more_ready:
                await pause(stop, settings.poll_interval)

    async def _back_off(self, stop: asyncio.Event) -> None:
        """Wait after a failure, each wait twice the last (up to max_backoff) until a batch
        goes out."""
        await pause(stop, self._backoff)
        self._backoff = min(self._backoff * 2, self._settings.max_backoff)

    async def relay_batch(self, session: RelaySession) -> int:
        """Publish and mark one batch; how many events it held (0: the outbox is caught up).
        A publisher failure is `PublishFailed`, with nothing marked."""
        batch = await session.pending(self._settings.batch_size)
        if not batch:
            return 0
        try:
            await self._publisher.publish([p.event for p in batch])
        except Exception as error:
            log.warning("publishing %d events failed; will retry: %s", len(batch), error)
            raise PublishFailed from error
        self.published += len(batch)
        await session.mark_published([p.position for p in batch])
        return len(batch)


class PublishFailed(Exception):
    """The publisher failed; the batch stays unpublished and is retried."""
