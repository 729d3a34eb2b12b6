"""A bet alone (issue 19): how many statements PostgreSQL runs for one bet placed with nothing
else in flight, and its latency then.

The count is the server's, not the client's: the sum of `calls` in `pg_stat_statements` for the
service's database while the load generator places bets one at a time (`unary`, 1 in flight).
BEGIN and COMMIT are statements there (track_utility is on); a function's inner statements are
not (track = top). Two kinds of statement are left out of the count because they are no round
trip of the bet's: foreign-key checks (`SELECT 1 FROM ONLY … FOR KEY SHARE`, run by the
server's own triggers, e.g. deferred ones at COMMIT) and the outbox relay's reads and updates
of `outbox` (any statement naming outbox but not inserting into it). What is left is what the
betting path sent: its round trips, when it sends one statement a round trip.

What the service does with nobody betting (the crash driver, the duels' and lobbies' expiry
scans, health checks) runs during the bets too, so after them the same length of time is
counted again with nobody betting, statement by statement. A statement seen then is a
background job's ('job') and not counted, unless it ran clearly more often while the bets went
(more than twice its idle calls, and at least 2 more: a job's own pace varies by a
quarter between two windows on a loaded machine): then the betting path
sends it too, and its excess over the idle count is the bet's. A job whose period is longer
than the window (the duels' expiry scan every 30 s, the ledger totals every 60 s) may fall in
the bets' window and not the idle one: so a statement run less than once every
`RARE_EVERY` bets is 'rare' and not counted either (no statement a bet, whoever sent it: the
betting path's own cache misses, such as the API key's first lookup, are rare too). The rest
is counted whole. Subtracting one idle second's total rate (as before) counted such jobs (2.01
statements for a bet whose road is 2). Every statement, with its kind, its calls idle and its
calls a bet, goes to bench/.data/statements.txt, the rare ones' total in its heading.

`pg_stat_statements` must be preloaded: run.py asks for it (ALTER SYSTEM and a restart) on
its embedded server; on a configured server without it the count is reported unknown."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from reference import Connection

# A background job's statement counts for the bet only past this much more than idle: jobs
# timed by their own clocks fall a call or two either way in two windows of one length, and
# on a loaded machine their pace varies by a quarter (the 100 ms crash driver: 41 and 55).
JOB_SLACK_SHARE = 1.0
JOB_SLACK_CALLS = 2
# Fewer calls than one every this many bets: no statement a bet (a job's, or a cache miss).
RARE_EVERY = 100

# What each statement is: a foreign-key check, the relay's, or sent by the service (the bet's
# or a background job's, told apart by the idle window).
_KIND = """
CASE
    WHEN s.query ~ '^SELECT \\S+ FROM ONLY ' AND s.query LIKE '%FOR KEY SHARE%' THEN 'fk check'
    WHEN s.query ILIKE '%outbox%' AND s.query NOT ILIKE '%insert into outbox%' THEN 'relay'
    ELSE 'bet'
END
"""

# One row a statement (its queryid: the text kept for it may differ after a reset, e.g. `1`
# or `$1`), its calls summed over roles and nesting levels.
_STATEMENTS = f"""
SELECT sum(s.calls)::bigint AS calls, min({_KIND}) AS kind,
       min(regexp_replace(s.query, '\\s+', ' ', 'g')) AS query, s.queryid
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = $1 AND s.query NOT LIKE '%pg_stat_statements%'
GROUP BY s.queryid
"""


async def preload(admin: Connection) -> bool:
    """Whether pg_stat_statements is loaded; if not, ask for it at the next start (the caller
    restarts the server). Returns True when it is loaded already."""
    conn = await admin.connect()
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
    conn = await where.connect()
    try:
        loaded = str(await conn.fetchval("SHOW shared_preload_libraries"))
        if "pg_stat_statements" not in loaded:
            return False
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return True
    finally:
        await conn.close()


@dataclass(frozen=True, slots=True)
class Statement:
    calls: int  # while the bets went
    idle: int  # in as long a window with nobody betting
    kind: str  # 'bet', 'job', 'rare', 'fk check' or 'relay'
    counted: int  # calls that are the bets'
    query: str


@dataclass(frozen=True, slots=True)
class Counted:
    per_bet: float | None  # statements a bet: the betting path's only
    breakdown: list[Statement]  # most calls first
    seconds: float  # each window's length


def classify(
    during: dict[str, tuple[int, str]], idle: dict[str, int], bets: int
) -> list[Statement]:
    """Each statement's kind and the calls that are the bets': `during` maps a statement to
    its calls and base kind while `bets` bets went, `idle` to its calls in as long a window
    with nobody betting."""
    found = []
    for query, (calls, base) in during.items():
        quiet = idle.get(query, 0)
        kind, counted = base, 0
        if base == "bet":
            excess = calls - quiet
            if quiet and excess <= max(JOB_SLACK_CALLS, quiet * JOB_SLACK_SHARE):
                kind = "job"
            elif excess * RARE_EVERY < bets:
                kind = "rare"
            else:
                counted = excess  # all its calls, or a job's statement's the bets add
        found.append(Statement(calls, quiet, kind, counted, query))
    return sorted(found, key=lambda s: (-s.calls, s.query))


class StatementCounter:
    """Counts the statements run in database `database` while bets go one at a time, read
    through `stats` (the reference database, where the extension is installed). It resets
    pg_stat_statements (the bench's own server: nothing else reads it meanwhile)."""

    def __init__(self, stats: Connection, database: str) -> None:
        self._stats = stats
        self._database = database
        self._started = 0.0

    async def _read(self, conn: asyncpg.Connection) -> dict[int, tuple[int, str, str]]:
        rows = await conn.fetch(_STATEMENTS, self._database)
        return {int(qid): (int(calls), str(kind), str(query)) for calls, kind, query, qid in rows}

    async def start(self) -> None:
        conn = await self._stats.connect()
        try:
            await conn.execute("SELECT pg_stat_statements_reset()")
            self._started = time.perf_counter()
        finally:
            await conn.close()

    async def stop(self, bets: int) -> Counted:
        """Read the bets' window, then count as long a window with nobody betting."""
        conn = await self._stats.connect()
        try:
            during = await self._read(conn)
            seconds = time.perf_counter() - self._started
            await conn.execute("SELECT pg_stat_statements_reset()")
            await asyncio.sleep(seconds)
            quiet = await self._read(conn)
        finally:
            await conn.close()
        statements = classify(
            {query: (calls, kind) for calls, kind, query in during.values()},
            {during[qid][2]: calls for qid, (calls, _, _) in quiet.items() if qid in during},
            bets,
        )
        per_bet = None
        if bets > 0:
            per_bet = sum(s.counted for s in statements) / bets
        return Counted(per_bet, statements, seconds)


def write_breakdown(path: Path, title: str, counted: Counted, bets: int) -> None:
    """The statements behind the count, most frequent first, appended to `path`."""
    per_bet = "?" if counted.per_bet is None else f"{counted.per_bet:.2f}"
    rare = sum(s.calls for s in counted.breakdown if s.kind == "rare") / max(1, bets)
    lines = [
        f"== {title}: {bets} bets one at a time in {counted.seconds:.1f} s, {per_bet} "
        f"statements a bet (the 'bet' kind's counted calls; 'idle': calls in another "
        f"{counted.seconds:.1f} s with nobody betting; 'rare' ones, {rare:.3f} a bet, "
        "not counted)",
        f"{'calls':>8}  {'idle':>6}  {'a bet':>6}  {'kind':<8}  statement",
    ]
    lines += [
        f"{s.calls:>8}  {s.idle:>6}  {s.counted / max(1, bets):6.2f}  {s.kind:<8}  {s.query[:160]}"
        for s in counted.breakdown[:40]
    ]
    with path.open("a") as out:
        out.write("\n".join(lines) + "\n\n")
