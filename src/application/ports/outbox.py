"""Events: the outbox as the relay reads it, and where the relay publishes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from application.events import EventEnvelope


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An unpublished outbox row: its place in the global order and the event."""

    position: int
    envelope: EventEnvelope


class RelaySession(Protocol):
    """The outbox as the one running relay sees it (it holds the relay lock)."""

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        """Up to `limit` unpublished events, oldest first (global order)."""
        ...

    async def mark_published(self, positions: Sequence[int]) -> None: ...


class OutboxFeed(Protocol):
    """Where the relay reads from. `claim()` yields a session when no other relay runs (None
    when one does: wait and claim again) and keeps the others out until the block ends, or
    the connection behind it dies, which ends the session too."""

    def claim(self) -> AbstractAsyncContextManager[RelaySession | None]: ...


class EventPublisher(Protocol):
    """Where the relay publishes to (the Redis stream and live channels)."""

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        """Publish every event, in order. Raising means some may not have been published:
        the relay publishes them all again (consumers dedupe by event id)."""
        ...
