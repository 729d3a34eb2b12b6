"""Outbox retention: deleting the published outbox rows older than a time (`croupier outbox
prune`, docs/operations.md "Outbox retention").

The SQL function `outbox_prune` (revision 0028) deletes the published rows of one range of
ids, up to the first row written at or after the time; this walks the ranges from the oldest
row, one short transaction each (a few thousand row locks at most, `lock_timeout` set), and
stops at the first range that reaches the rows it keeps. So the rows deleted are the oldest by
id, an aggregate keeps its newest events without a hole, and an unpublished row is never
deleted. Each call records the time in `outbox_relay.pruned_before`, in the same transaction
as its deletes, and reconciliation no longer looks for events older than that
(`outbox.missing_events`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from adapters.postgres.errors import CONTENDED, sqlstate

_BOUNDS = text("SELECT min(id), max(id) FROM outbox")
_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', :timeout, true)")
_PRUNE = text("SELECT deleted, reached FROM outbox_prune(:before, :first, :last)")


@dataclass(frozen=True, slots=True)
class Pruned:
    """What a prune did: rows deleted, in how many transactions."""

    rows: int
    transactions: int


class PruneInterrupted(Exception):
    """A range waited longer than the lock timeout (the relay recording its progress, another
    prune): that range's transaction rolled back, the ranges before it stay deleted, and
    running the prune again goes on from there."""

    def __init__(self, done: Pruned, lock_timeout_ms: int) -> None:
        super().__init__(
            f"stopped after deleting {done.rows} published outbox row(s) in "
            f"{done.transactions} transaction(s): a range waited over {lock_timeout_ms} ms "
            "for a lock and was rolled back, nothing half-done; run the prune again"
        )
        self.done = done


async def prune_outbox(
    engine: AsyncEngine, *, before: datetime, batch: int = 1000, lock_timeout_ms: int = 2000
) -> Pruned:
    """Delete the published outbox rows written before `before`, `batch` ids a transaction."""
    async with engine.connect() as conn:
        return await prune_on(conn, before=before, batch=batch, lock_timeout_ms=lock_timeout_ms)


async def prune_on(
    conn: AsyncConnection, *, before: datetime, batch: int = 1000, lock_timeout_ms: int = 2000
) -> Pruned:
    """`prune_outbox` on this connection: a transaction a range, or, inside the caller's
    transaction (a test's, rolled back), a savepoint a range."""
    if batch <= 0:
        raise ValueError("a prune's batch must be positive")
    rows = transactions = 0
    async with _transaction(conn):
        first, last = (await conn.execute(_BOUNDS)).one()
    while first is not None and first <= last:
        try:
            async with _transaction(conn):
                await conn.execute(_LOCK_TIMEOUT, {"timeout": f"{lock_timeout_ms}ms"})
                deleted, reached = (
                    await conn.execute(
                        _PRUNE, {"before": before, "first": first, "last": first + batch - 1}
                    )
                ).one()
        except DBAPIError as error:
            if sqlstate(error) not in CONTENDED:
                raise
            raise PruneInterrupted(Pruned(rows, transactions), lock_timeout_ms) from error
        rows += deleted
        transactions += 1
        if reached:
            break
        first += batch
    return Pruned(rows, transactions)


def _transaction(conn: AsyncConnection) -> AsyncTransaction:
    return conn.begin_nested() if conn.in_transaction() else conn.begin()
