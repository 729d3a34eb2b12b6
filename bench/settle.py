"""The server brought to rest between one contender's cases and the next's, so that what the
earlier cases left behind is not charged to the next: the CPU counters of a case count every
PostgreSQL process, autovacuum workers and the checkpointer included.

Measured on 2026-12-04 (bench/README.md, 19:38): the lean reference's cases write ~600,000 bets
and 1.2 M entries into the reference database in ~95 s, and autovacuum then vacuumed and
analysed those tables during Croupier's first cases (PostgreSQL CPU a bet of `unary uniform`
x8 1.52 ms in the full run, 0.74 ms with `service_cost.py` on a quiet server a minute later,
and 350 bets/s against 631).

`settle` vacuums and analyses the databases the last contender wrote (what autovacuum would
have done later, now, outside every window), waits until no autovacuum worker runs, and ends
with a CHECKPOINT, so every contender starts at the same point of the checkpoint cycle: with
no dirty pages of another's to write, and with the full-page images of its first changes its
own."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
from reference import Connection

# Autovacuum of a table someone else is writing can take minutes: past this, go on and say so.
WAIT_LIMIT_S = 120.0

_WORKERS = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"


@dataclass(frozen=True, slots=True)
class Settled:
    seconds: float
    workers_left: int  # autovacuum workers still running when the wait gave up (0: at rest)
    checkpoint: bool  # False where the role may not (a configured server, not a superuser)

    def describe(self) -> str:
        done = "vacuum, analyse" + (
            ", checkpoint" if self.checkpoint else "; no checkpoint: not allowed"
        )
        left = (
            f"; {self.workers_left} autovacuum worker(s) still running" if self.workers_left else ""
        )
        return f"server settled in {self.seconds:.1f} s ({done}{left})"


async def settle(admin: Connection, databases: tuple[str, ...]) -> Settled:
    started = time.perf_counter()
    for name in databases:
        conn = await Connection(admin.host, admin.port, admin.user, admin.password, name).connect()
        try:
            await conn.execute("VACUUM (ANALYZE)")
        finally:
            await conn.close()
    conn = await admin.connect()
    try:
        workers = await conn.fetchval(_WORKERS)
        while workers and time.perf_counter() - started < WAIT_LIMIT_S:
            await asyncio.sleep(0.5)
            workers = await conn.fetchval(_WORKERS)
        try:
            await conn.execute("CHECKPOINT")
            checkpoint = True
        except asyncpg.InsufficientPrivilegeError:
            checkpoint = False
    finally:
        await conn.close()
    return Settled(time.perf_counter() - started, int(workers), checkpoint)
