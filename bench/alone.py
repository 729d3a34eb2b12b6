"""A bet alone (issue 19): how many statements PostgreSQL runs for one bet placed with nothing
else in flight, and its latency then.

The count is the server's, not the client's: the sum of `calls` in `pg_stat_statements` for the
service's database while the load generator places bets one at a time (`unary`, 1 in flight).
BEGIN and COMMIT are statements there (track_utility is on); a function's inner statements are
not (track = top). Two kinds of statement are left out of the count because they are no round
trip of the bet's: foreign-key checks (`SELECT 1 FROM ONLY … FOR KEY SHARE`, run by the
server's own triggers, e.g. deferred ones at COMMIT) and the outbox relay's reads and updates
of `outbox` (any statement naming outbox but not inserting into it). What is left is what the
betting path sent: its round trips, when it sends one statement a round trip. Whatever else
the database does with nobody betting is measured for a second first and subtracted. Every
statement, with its kind and calls a bet, goes to bench/.data/statements.txt.

`pg_stat_statements` must be preloaded: run.py asks for it (ALTER SYSTEM and a restart) on
its embedded server; on a configured server without it the count is reported unknown."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from reference import Connection

IDLE_SECONDS = 1.0

# What each statement is: the bet's own, a foreign-key check, or the relay's.
_KIND = """
CASE
    WHEN s.query LIKE 'SELECT 1 FROM ONLY %' AND s.query LIKE '%FOR KEY SHARE%' THEN 'fk check'
    WHEN s.query ILIKE '%outbox%' AND s.query NOT ILIKE '%insert into outbox%' THEN 'relay'
    ELSE 'bet'
END
"""

_STATEMENTS = f"""
SELECT s.calls, {_KIND} AS kind, regexp_replace(s.query, '\\s+', ' ', 'g') AS query
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'
"""

_COUNT = f"SELECT coalesce(sum(calls), 0)::bigint FROM ({_STATEMENTS}) x WHERE kind = 'bet'"
_BREAKDOWN = f"SELECT * FROM ({_STATEMENTS}) x ORDER BY calls DESC, query"


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
    per_bet: float | None  # statements a bet, idle activity subtracted
    breakdown: list[tuple[int, str, str]]  # (calls, kind, statement) while the bets ran


class StatementCounter:
    """Counts the statements run in database `database` while bets go one at a time, read
    through `stats` (the reference database, where the extension is installed). It resets
    pg_stat_statements (the bench's own server: nothing else reads it meanwhile)."""

    def __init__(self, stats: Connection, database: str) -> None:
        self._stats = stats
        self._database = database
        self._idle_rate = 0.0
        self._started = 0.0

    async def _total(self, conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval(_COUNT, self._database))

    async def start(self) -> None:
        """Reset, then measure what the database does with nobody betting for a second."""
        conn = await _connect(self._stats)
        try:
            await conn.execute("SELECT pg_stat_statements_reset()")
            await asyncio.sleep(IDLE_SECONDS)
            self._idle_rate = await self._total(conn) / IDLE_SECONDS
            await conn.execute("SELECT pg_stat_statements_reset()")
            self._started = time.perf_counter()
        finally:
            await conn.close()

    async def stop(self, bets: int) -> Counted:
        conn = await _connect(self._stats)
        try:
            total = await self._total(conn)
            elapsed = time.perf_counter() - self._started
            rows = await conn.fetch(_BREAKDOWN, self._database)
        finally:
            await conn.close()
        per_bet = None
        if bets > 0:
            per_bet = max(0.0, total - self._idle_rate * elapsed) / bets
        return Counted(per_bet, [(int(c), str(kind), str(query)) for c, kind, query in rows])


def write_breakdown(path: Path, title: str, counted: Counted, bets: int) -> None:
    """The statements behind the count, most frequent first, appended to `path`."""
    per_bet = "?" if counted.per_bet is None else f"{counted.per_bet:.2f}"
    lines = [
        f"== {title}: {bets} bets one at a time, {per_bet} statements a bet "
        "(kind 'bet' only, idle activity subtracted)",
        f"{'calls':>8}  {'a bet':>6}  {'kind':<8}  statement",
    ]
    lines += [
        f"{calls:>8}  {calls / max(1, bets):6.2f}  {kind:<8}  {query[:160]}"
        for calls, kind, query in counted.breakdown[:40]
    ]
    with path.open("a") as out:
        out.write("\n".join(lines) + "\n\n")
