"""Live updates inside one app instance: a `LiveFeed` receives every message published for live
clients (from any instance or the event relay), and the hub hands each to the subscriptions of
its topic, one bounded queue per connected client.

Topics: `player:{player_id}` (that player's balance changes, bets, withdrawals) and `staff`
(large wins, risk flags, withdrawal requests). A client too slow to keep up is cut off rather
than buffered without end; it reconnects and refetches.

A `player.blocked` event ends every subscription of that player's topic once it has been
delivered: staff blocked the player, so their open sockets close (with the event as the last
message) instead of waiting for the next check of their session.

The hub knows no wire format: the feed hands it `LiveMessage`s, decoded by the adapter, and
the door writes what a subscription yields (a message's text as published, or a `Resync`)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from application.ports import LiveFeed, LiveMessage
from application.session_refusals import ACCOUNT_BLOCKED
from domain.events import PlayerBlocked

log = logging.getLogger(__name__)

STAFF_TOPIC = "staff"
DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Resync:
    """Sent to every client when the feed is back after losing its broker: what was published
    in between is gone (pub/sub keeps nothing), so clients refetch balances and history."""

    reason: str = "live feed was interrupted; refetch state"


RESYNC = Resync()


_PLAYER_TOPIC = "player:"


def player_topic(player_id: int) -> str:
    return f"{_PLAYER_TOPIC}{player_id}"


class Ended(enum.Enum):
    """Why a subscription stopped delivering."""

    TOO_SLOW = "too slow: messages were dropped; reconnect and refetch"
    HUB_STOPPED = "the server is shutting down"
    BLOCKED = ACCOUNT_BLOCKED


class SubscriptionEnded(Exception):
    def __init__(self, why: Ended) -> None:
        super().__init__(why.value)
        self.why = why


class Subscription:
    """One client's queue of messages for one topic. Use it as a context manager: leaving it
    unsubscribes."""

    def __init__(self, hub: LiveHub, topic: str, size: int) -> None:
        self.topic = topic
        self._hub = hub
        # +1: the end mark
        self._queue: asyncio.Queue[LiveMessage | Resync | Ended] = asyncio.Queue(size + 1)
        self._size = size
        self._ended: Ended | None = None

    def offer(self, message: LiveMessage | Resync) -> None:
        """Queue a message without waiting; a full queue ends the subscription."""
        if self._ended is not None:
            return
        if self._queue.qsize() >= self._size:
            log.warning("live client on %s too slow; disconnecting it", self.topic)
            self.end(Ended.TOO_SLOW)
            return
        self._queue.put_nowait(message)

    def end(self, why: Ended) -> None:
        if self._ended is not None:
            return
        self._ended = why
        while not self._queue.empty():  # what it has not read is no use to it now
            self._queue.get_nowait()
        self._queue.put_nowait(why)
        self._hub.unsubscribe(self)

    def end_after_queued(self, why: Ended) -> None:
        """End once what is queued has been read (the message that ended it, above all)."""
        if self._ended is not None:
            return
        self._ended = why
        self._queue.put_nowait(why)  # `offer` leaves room for the end mark
        self._hub.unsubscribe(self)

    async def next(self) -> LiveMessage | Resync:
        """The next message, waiting for one; `SubscriptionEnded` once it has ended."""
        item = await self._queue.get()
        if isinstance(item, Ended):
            self._queue.put_nowait(item)  # every later call ends the same way
            raise SubscriptionEnded(item)
        return item

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._hub.unsubscribe(self)


class LiveHub:
    """The instance's one listener on the feed and its clients' subscriptions (a `LiveSink`)."""

    def __init__(self, feed: LiveFeed, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._feed = feed
        self._queue_size = queue_size
        self._topics: dict[str, set[Subscription]] = {}
        self._receiving = asyncio.Event()
        self._interrupted = False
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="live feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._receiving.clear()
        for subscription in list(self._subscriptions()):
            subscription.end(Ended.HUB_STOPPED)

    async def _listen(self) -> None:
        try:
            await self._feed.listen(self)
        except asyncio.CancelledError:
            raise
        except Exception:  # the feed retries by itself; this is a bug, not an outage
            log.exception("live feed stopped")
            raise

    @property
    def receiving(self) -> bool:
        """Whether the feed is subscribed now (False before the first subscription and while
        the broker is away)."""
        return self._receiving.is_set()

    async def wait_receiving(self, seconds: float) -> bool:
        """Wait up to `seconds` for the feed to be subscribed; whether it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._receiving.wait(), seconds)
        return self.receiving

    # -- subscriptions -------------------------------------------------------------------------

    def subscribe(self, topic: str) -> Subscription:
        subscription = Subscription(self, topic, self._queue_size)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._topics.get(subscription.topic)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._topics[subscription.topic]

    def _subscriptions(self) -> Iterator[Subscription]:
        for subscribers in list(self._topics.values()):
            yield from list(subscribers)

    @property
    def clients(self) -> int:
        return sum(len(s) for s in self._topics.values())

    # -- LiveSink ------------------------------------------------------------------------------

    def deliver(self, topic: str, message: LiveMessage) -> None:
        subscribers = self._topics.get(topic)
        if not subscribers:
            return
        # A player's block ends their sessions; on the staff topic it is news like any other.
        blocked = message.event == PlayerBlocked.name and topic.startswith(_PLAYER_TOPIC)
        ends = Ended.BLOCKED if blocked else None
        for subscription in list(subscribers):
            subscription.offer(message)
            if ends is not None:
                subscription.end_after_queued(ends)

    def subscribed(self) -> None:
        self._receiving.set()
        if self._interrupted:
            self._interrupted = False
            for subscription in list(self._subscriptions()):
                subscription.offer(RESYNC)

    def interrupted(self) -> None:
        self._receiving.clear()
        self._interrupted = True
