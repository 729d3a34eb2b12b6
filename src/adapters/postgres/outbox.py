"""The transactional outbox in PostgreSQL: writing events with the change, reading them for the
relay.

Writing: use cases raise their events (`domain.events`) on the unit of work, which keeps them in
its `SqlOutbox` and writes them all, as rows (`adapters.event_wire.rows`), with one call of the
database function `outbox_append` just before it commits (or inside `place_bets`, the statement
that writes a bet decided on a snapshot), so an event exists exactly when its change does.
Events without a sequence (a player's wallet) are numbered in that same statement from
`outbox_sequences`, whose row stays locked until the commit: two transactions on one aggregate
number, insert and commit their events one after the other, so per aggregate the outbox id
order, the sequence order and the commit order agree.

Reading: `SqlOutboxFeed.claim()` holds a session-level advisory lock on one dedicated
connection for as long as a relay runs; a second relay gets None and waits for it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Final

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.event_wire.payloads import encode_payload
from adapters.event_wire.rows import outbox_rows
from application.ports import EventEnvelope, PendingEvent
from domain.events import DomainEvent

log = logging.getLogger(__name__)

# The advisory lock only one relay holds ("croupier" "outbox", as a number).
RELAY_LOCK_KEY: Final = 0x6372_6F75_6F75_7462

# The append itself is the database function outbox_append (revision 0022), shared with
# place_bets, which appends a bet's events in the statement that writes the bet.
_APPEND = text("SELECT outbox_append(CAST(:events AS jsonb))")


def outbox_json(events: Sequence[DomainEvent]) -> str:
    """The outbox rows of these events, as outbox_append takes them (a JSON array)."""
    rows = [row for event in events for row in outbox_rows(event)]
    return _rows_encoder.encode(
        [
            _WireRow(
                event_id=e.event_id,
                type=e.type,
                version=e.version,
                aggregate_type=e.aggregate_type,
                aggregate_id=e.aggregate_id,
                sequence=e.sequence,
                player_ids=e.player_ids,
                payload=msgspec.Raw(encode_payload(e.payload)),
                occurred_at=e.occurred_at,
            )
            for e in rows
        ]
    ).decode()


class _WireRow(msgspec.Struct, frozen=True):
    event_id: uuid.UUID
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int | None
    player_ids: tuple[int, ...]
    payload: msgspec.Raw
    occurred_at: datetime


_rows_encoder = msgspec.json.Encoder()


class SqlOutbox:
    """The events of one unit of work, written together just before it commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._pending: list[DomainEvent] = []

    def add(self, *events: DomainEvent) -> None:
        self._pending.extend(events)

    @property
    def pending(self) -> Sequence[DomainEvent]:
        return tuple(self._pending)

    def mark(self) -> int:
        """Where the pending events end now (see `rewind`)."""
        return len(self._pending)

    def rewind(self, mark: int) -> None:
        """Forget what was added since `mark` (a savepoint rolled back)."""
        del self._pending[mark:]

    def discard(self) -> None:
        """Forget what was added (the transaction rolled back)."""
        self._pending.clear()

    async def flush(self) -> None:
        """Write what was added, in one statement, inside the current transaction."""
        if not self._pending:
            return
        raised, self._pending = self._pending, []
        await self._conn.execute(_APPEND, {"events": outbox_json(raised)})


# -- the relay's side -------------------------------------------------------------------------

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
_PENDING = text(
    """
    SELECT id, event_id, type, version, aggregate_type, aggregate_id, sequence, player_ids,
           CAST(payload AS text) AS payload, occurred_at
    FROM outbox WHERE published_at IS NULL
    ORDER BY id LIMIT :limit
    """
)
_MARK = text(
    "UPDATE outbox SET published_at = now()"
    " WHERE id = ANY(CAST(:ids AS bigint[])) AND published_at IS NULL"
)
_BACKLOG = text("SELECT count(*) FROM outbox WHERE published_at IS NULL")

_data_decoder = msgspec.json.Decoder(dict[str, object])


class SqlRelaySession:
    """The relay's connection, holding the relay lock. Each statement commits on its own."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        rows = await self._conn.execute(_PENDING, {"limit": limit})
        return [
            PendingEvent(
                position=r.id,
                envelope=EventEnvelope(
                    event_id=r.event_id,
                    type=r.type,
                    version=r.version,
                    aggregate_type=r.aggregate_type,
                    aggregate_id=r.aggregate_id,
                    sequence=r.sequence,
                    occurred_at=r.occurred_at,
                    player_ids=list(r.player_ids),
                    data=_data_decoder.decode(r.payload),
                ),
            )
            for r in rows
        ]

    async def mark_published(self, positions: Sequence[int]) -> None:
        if positions:
            await self._conn.execute(_MARK, {"ids": list(positions)})

    async def backlog(self) -> int:
        return int((await self._conn.execute(_BACKLOG)).scalar_one())


class SqlOutboxFeed:
    """Where a relay reads the outbox from: `claim()` takes the relay lock on a connection of
    its own and yields a session on it, or None when another relay holds the lock (the caller
    waits and tries again). The lock is released when the block ends, or by the server when
    the connection dies."""

    def __init__(self, engine: AsyncEngine, *, lock_key: int = RELAY_LOCK_KEY) -> None:
        self._engine = engine
        self._lock_key = lock_key

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[SqlRelaySession | None]:
        conn = await self._engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            if not (await conn.execute(_TRY_LOCK, {"key": self._lock_key})).scalar_one():
                yield None
                return
            try:
                yield SqlRelaySession(conn)
            finally:
                await _unlock(conn, self._lock_key)
        finally:
            await conn.close()


async def _unlock(conn: AsyncConnection, key: int) -> None:
    # Back in the pool the connection must not keep the lock; if it cannot say so, it goes.
    try:
        await conn.execute(_UNLOCK, {"key": key})
    except Exception:
        log.warning("could not release the relay lock; dropping the connection", exc_info=True)
        await conn.invalidate()
    except BaseException:
        await conn.invalidate()
        raise


# -- completeness (for reconciliation) --------------------------------------------------------

_MISSING = text(
    """
    SELECT 'ledger transaction ' || t.id || ' has no ledger.transaction_posted event'
    FROM ledger_transactions t
    WHERE NOT EXISTS (SELECT 1 FROM outbox o
                      WHERE o.type = 'ledger.transaction_posted'
                        AND o.payload ->> 'transaction_id' = CAST(t.id AS text))
    UNION ALL
    SELECT 'bet ' || b.id || ' has no bet.placed event'
    FROM bets b
    WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 1
                        AND o.type = 'bet.placed')
    UNION ALL
    SELECT 'bet ' || b.id || ' is ' || b.state || ' without its event'
    FROM bets b
    WHERE b.state <> 'placed'
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 2
                        AND o.type = CASE b.state WHEN 'voided' THEN 'bet.voided'
                                                  ELSE 'bet.settled' END)
    UNION ALL
    SELECT 'aggregate ' || aggregate_type || ':' || aggregate_id || ' has a gap in its sequence'
    FROM outbox
    GROUP BY aggregate_type, aggregate_id
    HAVING max(sequence) <> count(*)
    LIMIT :limit
    """
)


async def missing_events(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """What the outbox owes: a ledger transaction or a bet step without its event, or an
    aggregate whose sequence has a gap. Empty when the outbox is complete. (A full scan: for
    reconciliation, not for the request path.)"""
    return [str(r[0]) for r in await conn.execute(_MISSING, {"limit": limit})]
