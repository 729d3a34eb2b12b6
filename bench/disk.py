"""What the database's disk did over a case: WAL fsyncs a bet and their mean time, and full-page
images a bet (a checkpoint running writes a page's whole image at its first change after the
checkpoint began, about three times a bet's WAL). The p99 at half of peak moves 2x from run to
run with these two (bench/README.md, 2026-12-04 17:26), so run.py prints them beside that case.

Server-wide counters (`pg_stat_io`, `pg_stat_wal`), which backends report about once a second:
read over an 8-s case they are a close estimate, not an exact count. The fsync time needs
`track_wal_io_timing`, which `enable_fsync_timing` turns on (superuser only; elsewhere the time
is left out)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from reference import Connection

_READ = """
SELECT (SELECT coalesce(sum(fsyncs), 0) FROM pg_stat_io WHERE object = 'wal') AS fsyncs,
       (SELECT coalesce(sum(fsync_time), 0) FROM pg_stat_io WHERE object = 'wal') AS fsync_ms,
       (SELECT wal_fpi FROM pg_stat_wal) AS fpi,
       (SELECT wal_bytes FROM pg_stat_wal) AS wal_bytes,
       current_setting('track_wal_io_timing') = 'on' AS timed
"""
# Checkpoints begun, by timeout and by request (a WAL volume past max_wal_size, or a
# CHECKPOINT): pg_stat_checkpointer since PostgreSQL 17, pg_stat_bgwriter before.
_CHECKPOINTS = (
    "SELECT num_timed, num_requested FROM pg_stat_checkpointer",
    "SELECT checkpoints_timed, checkpoints_req FROM pg_stat_bgwriter",
)


@dataclass(frozen=True, slots=True)
class DiskReading:
    fsyncs: int
    fsync_ms: float
    fpi: int
    wal_bytes: int
    timed: bool
    checkpoints: tuple[int, int] | None = None  # (timed, requested) begun so far


async def enable_fsync_timing(where: Connection) -> bool:
    """Turn `track_wal_io_timing` on (a reload, no restart); False where not allowed."""
    conn = await where.connect()
    try:
        if await conn.fetchval("SELECT current_setting('track_wal_io_timing') = 'on'"):
            return True
        await conn.execute("ALTER SYSTEM SET track_wal_io_timing = on")
        await conn.execute("SELECT pg_reload_conf()")
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await conn.close()


async def read(where: Connection) -> DiskReading:
    conn = await where.connect()
    try:
        row = await conn.fetchrow(_READ)
        checkpoints = None
        for query in _CHECKPOINTS:
            try:
                timed, requested = await conn.fetchrow(query)
            except asyncpg.PostgresError:  # the other server version's view
                continue
            checkpoints = (int(timed), int(requested))
            break
    finally:
        await conn.close()
    return DiskReading(
        int(row["fsyncs"]),
        float(row["fsync_ms"]),
        int(row["fpi"]),
        int(row["wal_bytes"]),
        bool(row["timed"]),
        checkpoints,
    )


def describe(before: DiskReading, after: DiskReading, bets: int) -> str:
    if bets <= 0:
        return "no bets"
    fsyncs = after.fsyncs - before.fsyncs
    mean = (
        f", mean {(after.fsync_ms - before.fsync_ms) / fsyncs:.2f} ms"
        if fsyncs and before.timed and after.timed
        else ""
    )
    fpi = (after.fpi - before.fpi) / bets
    wal = (after.wal_bytes - before.wal_bytes) / bets
    # For reading it: a coin bet writes ~3.5 KB of WAL between checkpoints, ~10.7 KB just
    # after one began (wt-wal, bench/README.md).
    return (
        f"WAL fsyncs {fsyncs / bets:.2f} a bet{mean}; WAL {wal:,.0f} B a bet,"
        f" {fpi:.2f} full-page images a bet{_checkpoints(before, after)}"
    )


def _checkpoints(before: DiskReading, after: DiskReading) -> str:
    """Checkpoints begun over the case, when any did (a checkpoint begun before the case and
    still running shows only in the full-page images)."""
    if before.checkpoints is None or after.checkpoints is None:
        return ""
    timed = after.checkpoints[0] - before.checkpoints[0]
    requested = after.checkpoints[1] - before.checkpoints[1]
    if not timed and not requested:
        return ""
    return f"; checkpoints begun in the case: {timed} timed, {requested} requested"
