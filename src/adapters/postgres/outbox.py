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

import bisect
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.event_wire.rows import appended_events
from application.ports import PendingEvent, StoredEvent
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
# relay, took most of a core of PostgreSQL's CPU (bench/README.md, issue 19).
_UNPUBLISHED = """
    unpublished AS MATERIALIZED (
        SELECT id, tx, {extra} FROM outbox
        WHERE tx >= (SELECT pg_snapshot_xmax(published_through) FROM outbox_relay)
        UNION ALL
        SELECT id, tx, {extra} FROM outbox
        WHERE tx = ANY(ARRAY(SELECT pg_snapshot_xip(published_through) FROM outbox_relay))
    )"""
# The ids of a window's rows, in order, up to $3 of them after id $2, each with the bytes its
# events take as stored (`pg_column_size`: read from the row, nothing decompressed), and the
# events of the first batch (without a second round trip): up to $4 rows, while the rows before
# one take under $5 bytes (`_batch_end`'s rule). The window is $1 (a snapshot's text) when the
# session is working through one; else the one a restart left (`window_snapshot`, after
# `window_position`); else a new one starts: this statement's snapshot. Only ids are sorted
# (not the rows' events), once for up to $3 ids; the batches then read their rows by primary
# key (`_BATCH`), so a batch of a long backlog no longer reads the whole backlog. (The relay's
# statements are asyncpg's: `SqlRelaySession`.)
_WINDOW: Final = f"""
    WITH {_UNPUBLISHED.format(extra="pg_column_size(events) AS size")},
    state AS (
        SELECT coalesce(CAST(CAST($1 AS text) AS pg_snapshot), r.window_snapshot,
                        pg_current_snapshot()) AS snapshot,
               coalesce(CAST($2 AS bigint), r.window_position) AS position,
               CAST($1 AS text) IS NULL AND r.window_snapshot IS NOT NULL AS resumed
        FROM outbox_relay r
    ),
    chunk AS (
        SELECT o.id, o.size
        FROM unpublished o, state s
        WHERE pg_visible_in_snapshot(o.tx, s.snapshot) AND o.id > s.position
        ORDER BY o.id
        LIMIT $3
    ),
    first_ids AS (
        SELECT id FROM (
            SELECT id, sum(size) OVER (ORDER BY id) - size AS before
            FROM chunk ORDER BY id LIMIT $4
        ) c
        WHERE before < $5
    ),
    first AS (
        SELECT o.id, o.events
        FROM outbox o
        WHERE o.id = ANY(ARRAY(SELECT id FROM first_ids))
    )
    SELECT CAST(s.snapshot AS text) AS snapshot, s.resumed,
           ARRAY(SELECT id FROM chunk ORDER BY id) AS ids,
           ARRAY(SELECT size FROM chunk ORDER BY id) AS sizes,
           ARRAY(SELECT id FROM first ORDER BY id) AS positions,
           ARRAY(SELECT CAST(events AS text) FROM first ORDER BY id) AS events
    FROM state s
    """  # noqa: S608 - a constant CTE  # nosec B608
# A batch's events, by primary key: each row's event array as it is (`_rows_events`).
_BATCH: Final = (
    "SELECT id, CAST(events AS text) AS events FROM outbox"
    " WHERE id = ANY(CAST($1 AS bigint[])) ORDER BY id"
)
# A window published to its end becomes the watermark.
_CLOSE_WINDOW: Final = (
    "UPDATE outbox_relay SET published_through = CAST(CAST($1 AS text) AS pg_snapshot),"
    " window_snapshot = NULL, window_position = 0, updated_at = now()"
)
_ADVANCE_IN_WINDOW: Final = (
    "UPDATE outbox_relay SET window_snapshot = CAST(CAST($1 AS text) AS pg_snapshot),"
    " window_position = $2, updated_at = now()"
)
_BACKLOG: Final = f"""
    WITH {_UNPUBLISHED.format(extra="json_array_length(events) AS events")}
    SELECT coalesce(sum(o.events), 0)
    FROM unpublished o, outbox_relay r
    WHERE NOT coalesce(pg_visible_in_snapshot(o.tx, r.window_snapshot)
                       AND o.id <= r.window_position, false)
    """  # noqa: S608 - a constant CTE  # nosec B608

# Ids of a window listed at a time (each with its row's stored size): ~8 MB of Python ints held
# by the relay, and a backlog of a million rows is listed (and its ids sorted) ten times over
# its 2,000 batches, not 2,000.
WINDOW_CHUNK: Final = 100_000
# The most bytes of stored events a batch reads, besides its last row (`pg_column_size`: as
# stored, compressed; pglz keeps a bets' row at about a third of its text). A row holds a unit
# of work's events: one bet's, or a bet queue batch's (up to 64 bets), or a PlaceBatch
# message's (up to 1,000). Read 500 rows at a time, a backlog of such rows (after a Redis
# outage, say) took the relay process from ~90 MB to 286 MB (rows of 64 bets, 128 kB of text
# each) and to 1,345 MB (rows of 1,000 bets, 2 MB each), publishing nowhere. pglz keeps such
# rows at a tenth of their text, and a real publish holds each event's commands beside it: at
# 1 MB stored a batch still took the relay to 221 and 247 MB publishing to Valkey; at 128 kB,
# 101 and 109 MB, at the same CPU an event (bench/relay_backlog.py --bets-a-row N --drain
# --valkey; bench/README.md, 2026-12-05 21:40). A caught-up relay reads a few rows a poll,
# under this.
BATCH_BYTES: Final = 1 << 17


def _batch_end(sizes: Sequence[int], start: int, limit: int, budget: int) -> int:
    """Where a batch that starts at `start` ends: up to `limit` rows, while the rows before a
    row take under `budget` bytes, so a batch holds at least one row whatever its size
    (`_WINDOW` cuts its first batch by the same rule)."""
    end, before = start, 0
    stop = min(len(sizes), start + limit)
    while end < stop and before < budget:
        before += sizes[end]
        end += 1
    return end


# A row's events: the row's event array as it is stored (not a row, and a string, an event
# taken apart by PostgreSQL), split into each envelope's JSON as it is, of which only the
# fields that route it are read. The payloads are published as stored, never decoded and
# encoded again (bench/README.md, "the relay publishes what is stored").
_row_decoder = msgspec.json.Decoder(list[msgspec.Raw])


class _Routing(msgspec.Struct):
    """What the relay reads of an envelope (`application.ports.StoredEvent`)."""

    event_id: str
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int
    player_ids: list[int]


_routing_decoder = msgspec.json.Decoder(_Routing)


def _rows_events(positions: Sequence[int], events: Sequence[str]) -> list[PendingEvent]:
    """The events of outbox rows, in order: each row's, at the row's position."""
    pending = []
    route = _routing_decoder.decode
    for position, row in zip(positions, events, strict=True):
        for raw in _row_decoder.decode(row):
            r = route(raw)
            stored = StoredEvent(
                r.event_id,
                r.type,
                r.version,
                r.aggregate_type,
                r.aggregate_id,
                r.sequence,
                r.player_ids,
                bytes(raw),
            )
            pending.append(PendingEvent(position, stored))
    return pending


class SqlRelaySession:
    """The relay's connection, holding the relay lock. Each statement commits on its own.

    A window is a snapshot: the rows committed before it that the watermark does not see. The
    session lists a window's row ids once (up to `window_chunk` at a time, `_WINDOW`), then
    `pending` reads the next batch of them by primary key and `mark_published` moves the
    watermark: to the last row published within the window, or, when the window has no rows
    left, to the window's snapshot itself. So a batch reads its own rows, whatever the backlog
    (tests/integration/test_outbox_reads.py); a publish that failed is retried from the same
    place. One SELECT and one UPDATE a batch, nothing per row.

    The statements go to the driver's connection under `conn` (asyncpg, its prepared
    statements cached), not through SQLAlchemy: a caught-up relay polls 20 times a second
    for ever, and a poll through SQLAlchemy's execute and greenlet bridge cost ~0.3 ms more
    of the relay's CPU than the same statement on asyncpg (bench/README.md, "the relay's
    polls"). If the connection fails, SQLAlchemy learns it when the lock is released
    (`_unlock` then throws the connection away)."""

    def __init__(
        self,
        conn: AsyncConnection,
        *,
        window_chunk: int = WINDOW_CHUNK,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self._conn = conn
        self._driver: Any = None
        self._chunk = window_chunk
        self._bytes = batch_bytes
        self._forget_window()

    async def _db(self) -> Any:
        if self._driver is None:
            self._driver = (await self._conn.get_raw_connection()).driver_connection
        return self._driver

    def _forget_window(self) -> None:
        self._snapshot: str | None = None  # the window being published
        self._stored = False  # whether outbox_relay names it (window_snapshot)
        self._ids: list[int] = []  # its listed ids, in order
        self._sizes: list[int] = []  # ... and their rows' stored bytes
        self._next = 0  # the first of them not published
        self._more = False  # whether more ids follow the listed ones
        # The listing's first batch, read with it.
        self._first_ids: list[int] = []
        self._first: list[PendingEvent] = []
        self._window_done = False

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        """The events of up to `limit` outbox rows, oldest first."""
        if self._snapshot is None or (self._next >= len(self._ids) and self._more):
            await self._list_window(limit)
        if self._next >= len(self._ids):  # nothing (left) in the window
            if self._stored:  # published to its last row (before a restart, perhaps)
                db = await self._db()
                await db.execute(_CLOSE_WINDOW, self._snapshot)
            self._forget_window()
            return []
        end = _batch_end(self._sizes, self._next, limit, self._bytes)
        ids = self._ids[self._next : end]
        self._window_done = not self._more and end == len(self._ids)
        if ids == self._first_ids:
            return self._first
        db = await self._db()
        rows = await db.fetch(_BATCH, ids)
        return _rows_events([r[0] for r in rows], [r[1] for r in rows])

    async def _list_window(self, limit: int) -> None:
        after = self._ids[-1] if self._ids else None
        db = await self._db()
        snapshot, resumed, ids, sizes, positions, events = await db.fetchrow(
            _WINDOW, self._snapshot, after, max(self._chunk, limit), limit, self._bytes
        )
        self._snapshot = snapshot
        self._stored = self._stored or resumed
        self._ids = list(ids)
        self._sizes = list(sizes)
        self._next = 0
        self._more = len(self._ids) == max(self._chunk, limit)
        self._first_ids = self._ids[: _batch_end(self._sizes, 0, limit, self._bytes)]
        self._first = _rows_events(positions, events)

    async def mark_published(self, positions: Sequence[int]) -> None:
        if not positions:
            return
        db = await self._db()
        if self._window_done:
            await db.execute(_CLOSE_WINDOW, self._snapshot)
            self._forget_window()
            return
        last = max(positions)
        await db.execute(_ADVANCE_IN_WINDOW, self._snapshot, last)
        self._stored = True
        self._next = bisect.bisect_right(self._ids, last)
        self._first_ids, self._first = [], []

    @property
    def more_ready(self) -> bool:
        # A window is listed at once: rows of it not yet returned, or more ids after it.
        return self._snapshot is not None and not self._window_done

    async def backlog(self) -> int:
        """How many events are not published yet."""
        db = await self._db()
        return int(await db.fetchval(_BACKLOG))


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

# Since `croupier outbox prune` (revision 0028), rows written before `pruned_before` may be
# gone: the ledger transactions and bets from before it (and an hour after, for the clocks of
# the application and the database) are not looked for, and an aggregate's sequence need no
# longer start at 1 (its oldest events may be gone; those kept are still whole, as the prune
# deletes the oldest rows by id).
_MISSING = text(
    """
    WITH horizon AS MATERIALIZED (
        SELECT coalesce((SELECT pruned_before FROM outbox_relay) + interval '1 hour',
                        CAST('-infinity' AS timestamptz)) AS checked_from,
               (SELECT pruned_before FROM outbox_relay) IS NOT NULL AS pruned
    ),
    events AS MATERIALIZED (
        SELECT event_id, type, aggregate_type, aggregate_id, sequence,
               payload ->> 'transaction_id' AS transaction_id,
               CASE type WHEN 'bet.played' THEN payload ->> 'bet_id' END AS played_bet_id
        FROM outbox_events
    ),
    -- The bets whose placing and end are owed events of their own: all since the horizon but
    -- a bet played at once (one transaction) that has its `bet.played`, which is both.
    stepped_bets AS (
        SELECT b.id, b.state
        FROM bets b
        WHERE b.placed_at >= (SELECT checked_from FROM horizon)
          AND NOT (b.settlement_transaction_id = b.placed_transaction_id
                   AND EXISTS (SELECT 1 FROM events o
                               WHERE o.played_bet_id = CAST(b.id AS text)))
    )
    SELECT 'ledger transaction ' || t.id || ' has no ledger.transaction_posted event'
    FROM ledger_transactions t
    WHERE t.created_at >= (SELECT checked_from FROM horizon)
      AND NOT EXISTS (SELECT 1 FROM events o
                      WHERE o.type IN ('ledger.transaction_posted', 'bet.played')
                        AND o.transaction_id = CAST(t.id AS text))
    UNION ALL
    SELECT 'bet ' || b.id || ' has no bet.placed event'
    FROM stepped_bets b
    WHERE NOT EXISTS (SELECT 1 FROM events o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 1
                        AND o.type = 'bet.placed')
    UNION ALL
    SELECT 'bet ' || b.id || ' is ' || b.state || ' without its event'
    FROM stepped_bets b
    WHERE b.state <> 'placed'
      AND NOT EXISTS (SELECT 1 FROM events o WHERE o.aggregate_type = 'bet'
                        AND o.aggregate_id = CAST(b.id AS text) AND o.sequence = 2
                        AND o.type = CASE b.state WHEN 'voided' THEN 'bet.voided'
                                                  ELSE 'bet.settled' END)
    UNION ALL
    SELECT 'bet ' || b.id || ' is played at once but its event says it is not'
    FROM bets b
    JOIN events o ON o.played_bet_id = CAST(b.id AS text)
    WHERE b.settlement_transaction_id IS DISTINCT FROM b.placed_transaction_id
       OR o.transaction_id <> CAST(b.placed_transaction_id AS text)
    UNION ALL
    SELECT 'bet ' || played_bet_id || ' has ' || count(*) || ' bet.played events'
    FROM events
    WHERE played_bet_id IS NOT NULL
    GROUP BY played_bet_id
    HAVING count(*) > 1
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
        (a.last - a.first + 1 <> a.numbers OR a.numbers = 0
         OR a.first <> 1 AND NOT (SELECT pruned FROM horizon), 'has a gap in its sequence')
    ) AS p(found, problem)
    WHERE p.found
    LIMIT :limit
    """
)


async def missing_events(conn: AsyncConnection, *, limit: int = 100) -> list[str]:
    """What the outbox owes: a ledger transaction or a bet step without its event (a bet
    played at once: its one `bet.played`, which must name its transaction), an
    aggregate whose sequence has a gap (not 1, 2, ... n) or a repeat, or an event id in it
    more than once. The outbox holds a unit of work's events as one JSON array (revision
    0022), so no unique index guards event ids or `(aggregate, sequence)` any more; these
    checks stand in for them. Empty when the outbox is complete. Once pruned, what is older
    than the horizon is not looked for (`_MISSING`). (A full scan: for reconciliation, not for
    the request path.)"""
    return [str(r[0]) for r in await conn.execute(_MISSING, {"limit": limit})]
