"""In-memory fakes of the outbox as the relay sees it (a claim that one relay at a time
gets, the pending rows, the marks) and of the publisher, so the relay runs in unit tests. The
real outbox's lock, order and connection loss are tested on PostgreSQL and Redis
(tests/integration/test_outbox_relay.py,
tests/integration/test_faults.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from adapters.event_wire.envelope import stored
from application.ports import EventEnvelope, PendingEvent, StoredEvent


class FakeOutbox:
    """The outbox's rows in order, and the relay session over them: `held` makes a claim
    answer None (another relay runs), `broken` makes the next claim's session die (a lost
    database connection) once; `cut` bounds a batch's rows below the relay's limit, as the real
    session's bytes bound does."""

    def __init__(self, envelopes: Sequence[EventEnvelope] = (), *, cut: int | None = None) -> None:
        self.rows: list[PendingEvent] = []
        self.cut = cut  # the most rows a batch takes whatever its limit (the bytes' bound)
        self._left = False  # whether the last batch left rows (RelaySession.more_ready)
        self.published: set[int] = set()
        self.held = False
        self.broken = False
        self.claims = 0
        self.add(*envelopes)

    def add(self, *envelopes: EventEnvelope) -> None:
        # As the outbox holds them: each envelope's JSON, with what routes it.
        for envelope in envelopes:
            self.rows.append(PendingEvent(len(self.rows) + 1, stored(envelope)))

    @contextlib.asynccontextmanager
    async def claim(self) -> AsyncIterator[FakeOutbox | None]:
        self.claims += 1
        if self.broken:
            self.broken = False
            raise ConnectionError("the database went away")
        yield None if self.held else self

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        waiting = [r for r in self.rows if r.position not in self.published]
        taken = waiting[: min(limit, self.cut or limit)]
        self._left = len(waiting) > len(taken)
        return taken

    @property
    def more_ready(self) -> bool:
        return self._left

    async def mark_published(self, positions: Sequence[int]) -> None:
        self.published.update(positions)


class FakePublisher:
    """Remembers what it published, in order; fails its next `failures` calls (Redis down)."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.published: list[StoredEvent] = []

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis is down")
        self.published.extend(events)


def envelope(sequence: int, player_id: int = 7) -> EventEnvelope:
    """An event of one bet's aggregate, numbered `sequence`; what it says does not matter to
    the relay, which publishes envelopes as they are."""
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type="bet.placed",
        version=1,
        aggregate_type="bet",
        aggregate_id="b-1",
        sequence=sequence,
        occurred_at=datetime(2026, 12, 2, 12, tzinfo=UTC),
        player_ids=[player_id],
        data={"version": 1, "stake": 100},
    )
