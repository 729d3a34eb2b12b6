"""A bet alone (issue 19): how many statements PostgreSQL runs for one bet placed with nothing
else in flight, and its latency then.

The count is the server's, not the client's: the sum of `calls` in `pg_stat_statements` for the
service's database, read before and after the load generator places bets one at a time
(`unary`, 1 in flight). BEGIN and COMMIT are statements there (track_utility is on), and a
function's inner statements are not (track = top): what is counted is what the service sent,
i.e. its round trips when it sends one statement per round trip. Whatever the database does
with nobody betting (the outbox relay's polls) is measured for a second before and subtracted.

`pg_stat_statements` must be preloaded: run.py asks for it (ALTER SYSTEM and a restart) on
its embedded server; on a configured server without it the count is reported unknown."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
from reference import Connection

IDLE_SECONDS = 1.0

_COUNT = """
SELECT coalesce(sum(s.calls), 0)::bigint
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'
"""


async def _connect(where: Connection) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=where.host,
        port=where.port,
        user=where.user,
        password=where.password,
        database=where.database,
    )


async def preload(admin: Connection) -> bool:
    """Whether pg_stat_statements is loaded; if not, ask for it at the next start (the caller
    restarts the server). Returns True when it is loaded already."""
    conn = await _connect(admin)
    try:
        loaded = str(await conn.fetchval("SHOW shared_preload_libraries"))
        if "pg_stat_statements" in loaded:
            return True
        wanted = ", ".join(filter(None, [loaded.strip(), "pg_stat_statements"]))
        await conn.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{wanted}'")
        return False
    finally:
        await conn.close()


async def install(where: Connection) -> bool:
    """CREATE EXTENSION pg_stat_statements in `where` (the bench's own reference database,
    never the service's); False when the server does not preload it."""
    conn = await _connect(where)
    try:
        loaded = str(await conn.fetchval("SHOW shared_preload_libraries"))
        if "pg_stat_statements" not in loaded:
            return False
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return True
    finally:
        await conn.close()


@dataclass(frozen=True, slots=True)
class Counted:
    statements: int  # in the database, while the body ran, idle activity subtracted
    seconds: float


class StatementCounter:
    """Counts statements run in database `database`, read through `stats` (the reference
    database, where the extension is installed)."""

    def __init__(self, stats: Connection, database: str) -> None:
        self._stats = stats
        self._database = database

    async def _read(self, conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval(_COUNT, self._database))

    async def idle_rate(self) -> float:
        conn = await _connect(self._stats)
        try:
            before = await self._read(conn)
            await asyncio.sleep(IDLE_SECONDS)
            return (await self._read(conn) - before) / IDLE_SECONDS
        finally:
            await conn.close()

    async def read(self) -> tuple[int, float]:
        conn = await _connect(self._stats)
        try:
            return await self._read(conn), time.perf_counter()
        finally:
            await conn.close()


def statements_per_bet(
    before: tuple[int, float], after: tuple[int, float], idle_rate: float, bets: int
) -> float | None:
    if bets <= 0:
        return None
    elapsed = after[1] - before[1]
    return max(0.0, after[0] - before[0] - idle_rate * elapsed) / bets
