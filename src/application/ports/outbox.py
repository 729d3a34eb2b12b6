"""Events: the outbox as the relay reads it, and where the relay publishes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """One event as published: the Redis stream entry's `envelope` and the pub/sub message
    (`adapters.event_wire` encodes it; docs/events.md is the contract).

    `player_ids` are the players the event concerns (each gets it on
    `croupier:live:player:{id}`); `data` is the type's versioned payload as a JSON object."""

    event_id: uuid.UUID
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int
    occurred_at: datetime
    player_ids: list[int]
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the outbox holds it and the relay publishes it: what routes it (the
    envelope's own fields, repeated) and `envelope`, the envelope's JSON as it was stored,
    published as it is. The relay never reads a payload: decoding each envelope into an
    `EventEnvelope` and encoding it again was most of its CPU (bench/README.md, "the relay
    publishes what is stored")."""

    event_id: str
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int
    player_ids: Sequence[int]
    envelope: bytes


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An unpublished event: its outbox row's place in the global order, and the event."""

    position: int
    event: StoredEvent


class RelaySession(Protocol):
    """The outbox as the one running relay sees it (it holds the relay lock)."""

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        """The unpublished events of up to `limit` outbox rows (units of work), oldest first
        (global order); the events of one row share its position."""
        ...

    async def mark_published(self, positions: Sequence[int]) -> None:
        """Everything the last `pending` returned up to these positions went out."""
        ...

    @property
    def more_ready(self) -> bool:
        """Whether the last `pending` left rows it already knew of for the next one: it
        stopped at `limit` rows or at a bound of its own (the bytes a batch may hold), not at
        the end of what was there. The relay then goes on at once rather than waiting to
        poll."""
        ...


class OutboxFeed(Protocol):
    """Where the relay reads from. `claim()` yields a session when no other relay runs (None
    when one does: wait and claim again) and keeps the others out until the block ends, or
    the connection behind it dies, which ends the session too."""

    def claim(self) -> AbstractAsyncContextManager[RelaySession | None]: ...


class EventPublisher(Protocol):
    """Where the relay publishes to (the Redis stream and live channels)."""

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """Publish every event, in order. Raising means some may not have been published:
        the relay publishes them all again (consumers dedupe by event id)."""
        ...
