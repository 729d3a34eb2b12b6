"""bench/settle.py's `with_statistics`, which seeding.py's template and `settle`'s databases
are analysed with: the seeded template, and so every run's copy of it, carries statistics.
Without them `service_cost.py` measured the service on plans made on nothing
(bench/README.md, 2026-12-05)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from seeding import _connection
from settle import with_statistics

_NEVER = (
    "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
    " AND relkind = 'r' AND reltuples < 0"
)


async def test_a_database_never_analysed_is_analysed_once(fresh_database: str) -> None:
    database = _connection(fresh_database)
    conn = await database.connect()
    try:
        # A database just migrated: its empty tables were never vacuumed nor analysed.
        assert await conn.fetchval(_NEVER) > 0
        assert await with_statistics(database) is True
        assert await conn.fetchval(_NEVER) == 0
        # The migrations' own rows are described now (a plan's estimates start from these).
        assert await conn.fetchval(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'currencies'"
        )
        # Analysed already: nothing to do, unless asked.
        assert await with_statistics(database) is False
        assert await with_statistics(database, always=True) is True
    finally:
        await conn.close()
