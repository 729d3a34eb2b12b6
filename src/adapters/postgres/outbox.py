"""The transactional outbox in PostgreSQL: writing events with the change, reading them for the
relay.

Writing: use cases raise their events (`domain.events`) on the unit of work, which keeps them in
its `SqlOutbox` and writes them all, as one outbox row holding their envelopes
(`adapters.event_wire.rows.appended_events`), with one call of the SQL function
`outbox_append` just before it commits (or inside `place_bets`, the statement that writes a
bet decided on a snapshot), so an event exists exactly when its change does.
Events without a sequence (a player's wallet) are numbered in that same statement from
`outbox_sequences`, whose row stays locked until the commit: two transactions on one aggregate
number, insert and commit their events one after the other, so per aggregate the outbox id
order, the sequence order and the commit order agree.

Reading: `SqlOutboxFeed.claim()` holds a session-level advisory lock on one dedicated
connection for as long as a relay runs; a second relay gets None and waits for it. The relay
never updates an outbox row: it keeps a watermark (a transaction snapshot) in `outbox_relay`
(revision 0022; docs/events.md, "The relay")."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Final

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.event_wire.rows import appended_events
from application.ports import EventEnvelope, PendingEvent
from domain.events import DomainEvent

log = logging.getLogger(__name__)

# The advisory lock only one relay holds ("croupier" "outbox", as a number).
RELAY_LOCK_KEY: Final = 0x6372_6F75_6F75_7462

_APPEND = text("SELECT outbox_append(CAST(:events AS jsonb))")


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

    def discard(self) -> None:
        """Forget what was added (the transaction rolled back)."""
        self._pending.clear()

    async def flush(self) -> None:
        """Write what was added, in one statement, inside the current transaction."""
        if not self._pending:
            return
        raised, self._pending = self._pending, []
        await self._conn.execute(_APPEND, {"events": appended_events(raised).decode()})


# -- the relay's side -------------------------------------------------------------------------

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
# The rows the relay has not published: those whose transaction the watermark snapshot
# `published_through` does not see: in its list of running transactions, or at or past its
# xmax (two disjoint sets, as running transactions are below xmax). Each is found by the index
# on tx and only then sorted by id: as one OR the planner walked the whole outbox in id order
# instead, a scan that grew with the table and, polled 20 times a second by a caught-up
# relay, took most of a core of PostgreSQL's CPU (bench/README.md, issue 19). A window being
# worked through (`window_snapshot`, by id after `window_position`) is resumed; else a new one
# starts: this statement's snapshot.
_UNPUBLISHED = """
    unpublished AS MATERIALIZED (
        SELECT id, tx, events FROM outbox
        WHERE tx >= (SELECT pg_snapshot_xmax(published_through) FROM outbox_relay)
        UNION ALL
        SELECT id, tx, events FROM outbox
        WHERE tx = ANY(ARRAY(SELECT pg_snapshot_xip(published_through) FROM outbox_relay))
    )"""
_PENDING = text(
    f"""
    WITH {_UNPUBLISHED},
    state AS (
        SELECT r.published_through, r.window_position AS position,
               coalesce(r.window_snapshot, pg_current_snapshot()) AS snapshot,
               r.window_snapshot IS NOT NULL AS resumed
        FROM outbox_relay r
    ),
    batch AS (
        SELECT o.id, o.events
        FROM unpublished o, state s
        WHERE pg_visible_in_snapshot(o.tx, s.snapshot)
          AND o.id > s.position
        ORDER BY o.id
        LIMIT :limit
    )
    SELECT CAST(s.snapshot AS text) AS snapshot, s.resumed, b.id,
           CAST(e.value AS text) AS envelope
    FROM state s
    LEFT JOIN (batch b CROSS JOIN LATERAL jsonb_array_elements(b.events) WITH ORDINALITY
               AS e(value, n)) ON true
    ORDER BY b.id, e.n
    """  # noqa: S608 - a constant CTE  # nosec B608
)
# A window published to its end becomes the watermark.
_CLOSE_WINDOW = text(
    "UPDATE outbox_relay SET published_through = CAST(CAST(:snapshot AS text) AS pg_snapshot),"
    " window_snapshot = NULL, window_position = 0, updated_at = now()"
)
_ADVANCE_IN_WINDOW = text(
    "UPDATE outbox_relay SET window_snapshot = CAST(CAST(:snapshot AS text) AS pg_snapshot),"
    " window_position = :position, updated_at = now()"
)
_BACKLOG = text(
    f"""
    WITH {_UNPUBLISHED}
    SELECT coalesce(sum(jsonb_array_length(o.events)), 0)
    FROM unpublished o, outbox_relay r
    WHERE NOT coalesce(pg_visible_in_snapshot(o.tx, r.window_snapshot)
                       AND o.id <= r.window_position, false)
    """  # noqa: S608 - a constant CTE  # nosec B608
)

_envelope_decoder = msgspec.json.Decoder(EventEnvelope)


class SqlRelaySession:
    """The relay's connection, holding the relay lock. Each statement commits on its own.

    `pending` reads the next rows of the current window (a snapshot: the rows committed before
    it and not before the watermark), in id order; `mark_published` moves the watermark: to
    the last row published within the window, or, when the window had no more rows than those,
    to the window's snapshot itself. One SELECT and one UPDATE a batch, nothing per row."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._snapshot = ""
        self._window_done = False

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        """The events of up to `limit` outbox rows, oldest first."""
        rows = (await self._conn.execute(_PENDING, {"limit": limit})).all()
        first = rows[0]
        self._snapshot = first.snapshot
        if first.id is None:  # nothing (left) in the window
            self._window_done = True
            if first.resumed:  # a window published to its last row before a restart
                await self._conn.execute(_CLOSE_WINDOW, {"snapshot": self._snapshot})
            return []
        self._window_done = len({r.id for r in rows}) < limit
        return [PendingEvent(r.id, _envelope_decoder.decode(r.envelope)) for r in rows]

    async def mark_published(self, positions: Sequence[int]) -> None:
        if not positions:
            return
        if self._window_done:
            await self._conn.execute(_CLOSE_WINDOW, {"snapshot": self._snapshot})
        else:
            await self._conn.execute(
                _ADVANCE_IN_WINDOW, {"snapshot": self._snapshot, "position": max(positions)}
            )

    async def backlog(self) -> int:
        """How many events are not published yet."""
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
    WITH events AS MATERIALIZED (
        SELECT event_id, type, aggregate_type, aggregate_id, sequence,
               payload ->> 'transaction_id' AS transaction_id
        FROM outbox_events
    )
    SELECT 'ledger transaction ' || t.id || ' has no ledger.transaction_posted event'
    FROM ledger_transactions t
    WHERE NOT EXISTS (SELECT 1 FROM events o
                      WHERE o.type = 'ledger.transaction_posted'
                        AND o.transaction_id = CAST(t.id AS text))
    UNION ALL
    SELECT 'bet ' || b.id || ' has no bet.placed event'
    FROM bets b
    WHERE NOT EXISTS (SELECT 1 FROM events o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 1
                        AND o.type = 'bet.placed')
    UNION ALL
    SELECT 'bet ' || b.id || ' is ' || b.state || ' without its event'
    FROM bets b
    WHERE b.state <> 'placed'
      AND NOT EXISTS (SELECT 1 FROM events o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 2
                        AND o.type = CASE b.state WHEN 'voided' THEN 'bet.voided'
                                                  ELSE 'bet.settled' END)
    UNION ALL
    SELECT 'event ' || event_id || ' is in the outbox ' || count(*) || ' times'
    FROM events
    GROUP BY event_id
    HAVING count(*) > 1
    UNION ALL
    SELECT 'aggregate ' || a.aggregate_type || ':' || a.aggregate_id || ' ' || p.problem
    FROM (SELECT aggregate_type, aggregate_id, count(*) AS events,
                 count(DISTINCT sequence) AS numbers, min(sequence) AS first,
                 max(sequence) AS last
          FROM events
          GROUP BY aggregate_type, aggregate_id) AS a
    CROSS JOIN LATERAL (VALUES
        (a.numbers <> a.events, 'repeats a sequence number'),
        (a.first <> 1 OR a.last <> a.numbers OR a.numbers = 0, 'has a gap in its sequence')
    ) AS p(found, problem)
    WHERE p.found
    LIMIT :limit
    """
)


async def missing_events(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """What the outbox owes: a ledger transaction or a bet step without its event, an
    aggregate whose sequence has a gap (not 1, 2, ... n) or a repeat, or an event id in it
    more than once. The outbox holds a unit of work's events as one JSON array (revision
    0022), so no unique index guards event ids or `(aggregate, sequence)` any more; these
    checks stand in for them. Empty when the outbox is complete. (A full scan: for
    reconciliation, not for the request path.)"""
    return [str(r[0]) for r in await conn.execute(_MISSING, {"limit": limit})]
