"""Outbox retention on the real PostgreSQL: `outbox_prune` deletes the published rows older than
a time, a range of ids a transaction, never an unpublished one, and reconciliation stays clean
over what is left. Done in a transaction that is rolled back (a savepoint a range), so the
shared outbox other tests read keeps its rows."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from adapters.postgres.outbox import missing_events
from adapters.postgres.outbox_retention import Pruned, PruneInterrupted, prune_on
from tests.integration.outbox_rows import dice_bet

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

_APPEND = text("SELECT outbox_append(CAST(:events AS jsonb))")


def _event(
    aggregate_type: str, aggregate_id: str, player_ids: list[int], sequence: int | None = None
) -> str:
    return json.dumps(
        [
            {
                "event_id": str(uuid.uuid4()),
                "type": "test.happened",
                "version": 1,
                "aggregate_type": aggregate_type,
                "aggregate_id": aggregate_id,
                "sequence": sequence,
                "occurred_at": "2026-12-03T00:00:00Z",
                "player_ids": player_ids,
                "data": {"version": 1},
            }
        ]
    )


async def _sequences(conn, where: str, **params: object) -> list[int]:
    rows = await conn.execute(
        text(f"SELECT sequence FROM outbox_events WHERE {where} ORDER BY position, place"),
        params,
    )
    return [r.sequence for r in rows]


async def test_prune_deletes_old_published_rows_keeps_the_rest_and_reconcile_stays_clean(
    fresh_books,
):
    # A database of its own: reconcile's look for the events of every ledger transaction newer
    # than the horizon also finds other tests' transactions dated by a clock of their own far
    # ahead (the responsible-gambling tests'), whose outbox rows, written at PostgreSQL's now(),
    # this prune deletes. In one process this file ran before those; on two workers it may not.
    books = await fresh_books("outbox_retention_prune")
    engine = books.engine
    player = type("Player", (), {"id": books.player_id})
    await books.place(dice_bet(player.id, 10))  # the player's events 1 (deposit) and 2 (stake)
    async with engine.connect() as conn, conn.begin() as transaction:
        # Everything committed so far is published, and older than `before` (this
        # transaction's start).
        before = await conn.scalar(text("SELECT now()"))
        await conn.execute(
            text(
                "UPDATE outbox_relay SET published_through = pg_current_snapshot(),"
                " window_snapshot = NULL, window_position = 0"
            )
        )
        # Old but not published (this transaction's own row): it stays.
        owed = f"owed-{uuid.uuid4()}"
        await conn.execute(
            text(
                "INSERT INTO outbox (events, created_at)"
                " VALUES (CAST(:events AS jsonb), now() - interval '100 days')"
            ),
            {"events": _event("test", owed, [], 1)},
        )
        # The player's third event, written at `before`: kept, and all later rows with it.
        await conn.execute(_APPEND, {"events": _event("player", str(player.id), [player.id])})
        old = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE created_at < CAST(:before AS timestamptz)"),
            {"before": before},
        )
        assert old >= 3, "the player's rows, the books' and other tests'"

        pruned = await prune_on(conn, before=before, batch=2)

        assert pruned.rows == old - 1, "every old row but the unpublished one"
        assert pruned.transactions >= old // 2, "a range of 2 ids a savepoint"
        assert await _sequences(
            conn, "aggregate_type = 'player' AND aggregate_id = :p", p=str(player.id)
        ) == [3], "its oldest events are gone, the newest kept"
        assert await _sequences(conn, "aggregate_id = :a", a=owed) == [1]
        horizon = await conn.scalar(text("SELECT pruned_before FROM outbox_relay"))
        assert horizon == before
        # Reconcile no longer looks for the events of what is older, nor for a sequence
        # starting at 1; the sequences kept must still be whole.
        assert await missing_events(conn) == []
        await conn.execute(_APPEND, {"events": _event("player", str(player.id), [player.id], 5)})
        assert await missing_events(conn) == [
            f"aggregate player:{player.id} has a gap in its sequence"
        ]
        await transaction.rollback()


async def test_a_prune_that_waits_too_long_for_a_lock_stops_with_what_it_did(
    engine, funded_player, place
):
    """The relay holds outbox_relay's row while it records its progress; a prune that cannot
    get it within its lock timeout rolls back that range and says so in words (the CLI prints
    it, no traceback), keeping the ranges it finished."""
    # Rows to prune, whatever ran before this test on this worker's database.
    await place(dice_bet((await funded_player(1000)).id, 10))
    async with engine.connect() as holder, holder.begin() as held:
        await holder.execute(text("SELECT 1 FROM outbox_relay FOR UPDATE"))
        async with engine.connect() as conn, conn.begin() as transaction:
            with pytest.raises(PruneInterrupted) as interrupted:
                await prune_on(
                    conn,
                    before=await conn.scalar(text("SELECT now()")),
                    batch=10**6,
                    lock_timeout_ms=50,
                )
            assert interrupted.value.done == Pruned(0, 0)
            assert "waited over 50 ms for a lock" in str(interrupted.value)
            assert "run the prune again" in str(interrupted.value)
            await transaction.rollback()
        await held.rollback()
