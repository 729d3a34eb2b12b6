"""The server brought to rest between one contender's cases and the next's, so that what the
earlier cases left behind is not charged to the next: the CPU counters of a case count every
PostgreSQL process, autovacuum workers and the checkpointer included.

Seen on 2026-12-04 (bench/README.md, 19:38): with autovacuum logged, it vacuumed the service's
fresh copy 19 s after Croupier's service started and the lean reference's 1.2 M entries a
little later, and a checkpoint brought on by pgbench's and the lean reference's WAL began 57 s
into Croupier's cases and wrote for 88 s, all inside Croupier's windows.

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
import valkey_rest
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


def settle_and_say(
    admin: Connection, databases: tuple[str, ...], valkey: str | None = None
) -> None:
    """`settle`, from synchronous code, printing what it did (run.py, before each contender);
    with `valkey` (a URL), that server's append-only file rewritten too (valkey_rest.py)."""
    print(f"  {asyncio.run(settle(admin, databases)).describe()}", flush=True)
    if valkey is not None:
        print(f"  {asyncio.run(valkey_rest.settle(valkey))}", flush=True)


async def settle(admin: Connection, databases: tuple[str, ...]) -> Settled:
    started = time.perf_counter()
    for name in databases:
        await with_statistics(admin.on(name), always=True)
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


async def with_statistics(database: Connection, *, always: bool = False) -> bool:
    """Vacuum and analyse `database` when one of its tables has never been, or `always`
    (whether it did).

    A copy (CREATE DATABASE … TEMPLATE) carries its template's statistics, or their absence.
    Without them every copy started unanalysed, and the service planned its statements for
    the run on nothing (`placement_snapshot` and `place_bets` are generic plans, kept per
    connection until an ANALYZE of a table they read): until autovacuum's first visit, up to
    a minute in, the snapshot read took the wallets of every player to find a batch's (2.8 ms
    a read at 10,000 players) and `bets` was scanned whole for a batch's ids. `run.py`
    analysed before Croupier's cases (`settle`), `service_cost.py` did not: its windows were
    read on those plans (bench/README.md, 2026-12-05). Statistics of an empty table are not
    enough: a plan made on an analysed empty `bets` scans it as well, so the template's players
    each have a bet (`seeding._history`, bench/README.md, 2026-12-05 16:25)."""
    conn = await database.connect()
    try:
        never = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind = 'r' AND reltuples < 0"
        )
        if never or always:
            await conn.execute("VACUUM (ANALYZE)")
        return bool(never or always)
    finally:
        await conn.close()
