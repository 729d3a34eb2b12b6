"""What the relay's queries read, on the real PostgreSQL: a batch of a large backlog reads the
rows it publishes and not the whole backlog, and no query walks the whole outbox (its plan
uses the indexes). Timing is the bench's business (bench/relay_backlog.py); these count rows.

Each test works on temporary copies of `outbox` and `outbox_relay` (`pg_temp` comes first on
the search path, so the relay's statements, naming the tables unqualified, read them), filled
and analysed in a transaction that is rolled back: thousands of rows without touching the
shared outbox other tests' relays publish."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres import outbox
from adapters.postgres.outbox import SqlRelaySession

pytestmark = pytest.mark.integration

# The watermark of the copies: transaction 3 is published (visible in it), 5 is not, and both
# are below any snapshot taken now (the cluster is thousands of transactions past them).
_WATERMARK = "5:5:"
_PUBLISHED_TX, _UNPUBLISHED_TX = 3, 5


@contextlib.asynccontextmanager
async def scratch_outbox(
    engine, *, published: int, unpublished: int
) -> AsyncIterator[AsyncConnection]:
    """A connection in a transaction whose `outbox` holds `published` rows the watermark has
    passed, then `unpublished` rows it has not (one event each), rolled back at the end."""
    async with engine.connect() as conn, conn.begin() as transaction:
        for table in ("outbox", "outbox_relay"):
            await conn.execute(
                text(f"CREATE TEMP TABLE {table} (LIKE public.{table} INCLUDING ALL)")
            )
        await conn.execute(
            text(
                "INSERT INTO outbox_relay (published_through)"
                " VALUES (CAST(CAST(:w AS text) AS pg_snapshot))"
            ),
            {"w": _WATERMARK},
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (tx, events)"
                " SELECT CAST(CASE WHEN i <= CAST(:published AS integer) THEN CAST(:old AS text)"
                " ELSE CAST(:new AS text) END AS xid8),"
                " jsonb_build_array(CAST(:event AS jsonb)"
                "   || jsonb_build_object('event_id', gen_random_uuid(),"
                "                         'aggregate_id', CAST(i AS text)))"
                " FROM generate_series(1, CAST(:published AS integer)"
                "                         + CAST(:unpublished AS integer)) AS i"
            ),
            {
                "published": published,
                "unpublished": unpublished,
                "old": str(_PUBLISHED_TX),
                "new": str(_UNPUBLISHED_TX),
                "event": _EVENT,
            },
        )
        await conn.execute(text("ANALYZE outbox"))
        await conn.execute(text("ANALYZE outbox_relay"))
        yield conn
        await transaction.rollback()


_EVENT = json.dumps(
    {
        "type": "test.happened",
        "version": 1,
        "aggregate_type": "test",
        "sequence": 1,
        "occurred_at": "2026-12-03T00:00:00Z",
        "player_ids": [],
        "data": {"version": 1},
    }
)


async def _rows_read(conn: AsyncConnection) -> int:
    """Rows of `outbox` this transaction has read so far, by sequential and index scans."""
    return int(
        await conn.scalar(
            text(
                "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
                " FROM pg_stat_xact_all_tables WHERE relid = CAST('outbox' AS regclass)"
            )
        )
    )


async def test_a_batch_of_a_large_backlog_reads_the_rows_it_publishes(engine):
    """5,000 rows owed, batches of 50: listing the window's rows costs a read of the backlog
    once, then each batch reads its own 50 rows (before, every batch read all 5,000)."""
    async with scratch_outbox(engine, published=2000, unpublished=5000) as conn:
        session = SqlRelaySession(conn)
        reads, published = [], []
        for _ in range(6):
            before = await _rows_read(conn)
            batch = await session.pending(50)
            await session.mark_published([p.position for p in batch])
            reads.append(await _rows_read(conn) - before)
            published.extend(p.position for p in batch)
        assert published == list(range(2001, 2301)), "in id order, none skipped or repeated"
        assert reads[0] <= 5000 + 50, reads
        assert all(r <= 50 for r in reads[1:]), f"rows read a batch: {reads}"


@pytest.mark.parametrize("owed", [290, 240])  # the last listing short, or empty
async def test_a_window_listed_in_chunks_is_published_whole_and_in_order(engine, owed):
    """A window longer than the ids listed at a time: each listing goes on after the last
    one, and the window closes (becomes the watermark) after its last row."""
    async with scratch_outbox(engine, published=10, unpublished=owed) as conn:
        session = SqlRelaySession(conn, window_chunk=120)
        published: list[int] = []
        while batch := await session.pending(50):
            published.extend(p.position for p in batch)
            await session.mark_published([p.position for p in batch])
        assert published == list(range(11, 11 + owed))
        watermark = await conn.scalar(
            text(
                "SELECT CAST(published_through AS text) FROM outbox_relay"
                " WHERE window_snapshot IS NULL"
            )
        )
        assert watermark is not None, "the window became the watermark"
        assert watermark != _WATERMARK
        assert await SqlRelaySession(conn).backlog() == 0


async def _stored_sizes(conn: AsyncConnection) -> dict[int, int]:
    rows = await conn.execute(text("SELECT id, pg_column_size(events) FROM outbox"))
    return {row[0]: row[1] for row in rows}


@pytest.mark.parametrize("budget", [1, 700, 2_000])
async def test_a_batch_reads_a_bounded_size_of_stored_events(engine, budget):
    """Rows can be large (a bet queue batch's, a PlaceBatch message's): a batch takes rows
    while the ones before take under the session's byte budget, at least one, and never more
    than asked; the window is still published whole, in order, and the listing's first batch
    (cut in SQL) is the one the session then returns, without a read of its own; a batch cut
    short says more is ready."""
    # 20,000 published rows: the planner reads rows by index, as on a real outbox.
    async with scratch_outbox(engine, published=20_000, unpublished=60) as conn:
        sizes = await _stored_sizes(conn)
        session = SqlRelaySession(conn, batch_bytes=budget)
        published: list[int] = []
        batches: list[list[int]] = []
        reads: list[int] = []
        ready: list[bool] = []  # more_ready after each batch: rows left that it knew of
        while True:
            before = await _rows_read(conn)
            batch = await session.pending(25)
            reads.append(await _rows_read(conn) - before)
            if not batch:
                break
            rows = sorted({p.position for p in batch})
            batches.append(rows)
            published.extend(rows)
            await session.mark_published(rows)
            ready.append(session.more_ready)
        assert published == list(range(20_001, 20_061)), "in id order, none skipped or repeated"
        # Every batch cut by the budget or the limit says more is ready, so the relay goes on
        # at once; the window's last does not, nor does the empty read after it.
        assert ready == [True] * (len(batches) - 1) + [False]
        assert not session.more_ready
        for rows in batches:
            assert 1 <= len(rows) <= 25
            assert sum(sizes[i] for i in rows[:-1]) < budget, "over the budget before its last row"
        for rows in batches[:-1]:
            # Cut only where the budget or the limit cut it: the next row would not fit.
            assert len(rows) == 25 or sum(sizes[i] for i in rows) >= budget, rows
        if budget == 1:
            assert all(len(rows) == 1 for rows in batches)
        # The first batch came with the listing (60 owed rows found by tx, read once); each
        # later one read its own rows by primary key, not the window again.
        assert reads[0] <= 2 * 60, reads
        assert all(r <= len(rows) for r, rows in zip(reads[1:], batches[1:], strict=False)), (
            reads,
            batches,
        )


# -- the plans: no query walks the outbox -----------------------------------------------------


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


async def _explained(conn: AsyncConnection, statement: str, *args: object) -> list[dict[str, Any]]:
    """The plan nodes of `statement` run (EXPLAIN ANALYZE) with these arguments, on the
    driver's connection as the relay sends it."""
    driver = (await conn.get_raw_connection()).driver_connection
    document = await driver.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, *args)
    plan = document if isinstance(document, list) else json.loads(document)
    return list(_nodes(plan[0]["Plan"]))


def _outbox_rows_examined(nodes: list[dict[str, Any]]) -> int:
    """Rows the scans of `outbox` produced or threw away, over all their loops."""
    return sum(
        round(
            (
                n["Actual Rows"]
                + n.get("Rows Removed by Filter", 0)
                + n.get("Rows Removed by Index Recheck", 0)
            )
            * n["Actual Loops"]
        )
        for n in nodes
        if n.get("Relation Name") == "outbox"
    )


async def test_the_relays_queries_find_the_owed_rows_by_index_among_many_published(engine):
    """20,000 published rows and 30 owed: the relay's listing, batch and backlog queries read
    the owed rows by the index on tx (then by primary key), never the published ones. (The
    relay's first query, one OR over both sets of transactions, walked the whole outbox in id
    order: 86 ms a poll on the bench's 53k rows, bench/README.md.)"""
    async with scratch_outbox(engine, published=20_000, unpublished=30) as conn:
        listing = await _explained(
            conn, outbox._WINDOW, None, None, 100_000, 500, outbox.BATCH_BYTES
        )
        batch = await _explained(conn, outbox._BATCH, list(range(20_001, 20_031)))
        backlog = await _explained(conn, outbox._BACKLOG)
        for name, nodes in (("listing", listing), ("batch", batch), ("backlog", backlog)):
            scans = [n for n in nodes if n.get("Relation Name") == "outbox"]
            assert scans, f"{name}: no scan of outbox in the plan"
            assert not [n for n in scans if n["Node Type"] == "Seq Scan"], f"{name}: Seq Scan"
            examined = _outbox_rows_examined(nodes)
            # The owed rows, found by tx then read by primary key (the listing does both):
            # a few times 30, never the 20,000 published.
            assert examined <= 4 * 30, f"{name} examined {examined} outbox rows"
        by_tx = [n for n in listing if "tx" in n.get("Index Cond", "")]
        assert by_tx, "the owed rows are found by the index on tx"
