"""The snapshot read's plans do not read the wallets of players outside the batch, even on a
table PostgreSQL has no statistics for (a restored or copied database before its first
ANALYZE): `placement_snapshot` plans once per connection (generic plans), so a plan made
then is kept (revision 0068, bench/README.md 2026-12-05: 2.8 ms a read at 10,000 players)."""

from __future__ import annotations

import json

import asyncpg

PLAYERS = 3000

_READ = """
SELECT coalesce(sum(idx_tup_read), 0)
       + (SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'accounts')
FROM pg_stat_user_indexes WHERE relname = 'accounts'
"""


async def _rows_read(conn: asyncpg.Connection) -> int:
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return int(await conn.fetchval(_READ))


async def test_a_batchs_wallets_are_read_alone_without_statistics(fresh_database: str) -> None:
    admin = await asyncpg.connect(fresh_database)
    try:
        # Nobody analyses the table while the test runs: its statistics stay absent.
        await admin.execute("ALTER TABLE accounts SET (autovacuum_enabled = false)")
        player = await admin.fetchval(
            """
            WITH made AS (
                INSERT INTO players (telegram_user_id, created_at)
                SELECT 7_000_000 + n, now() FROM generate_series(1, $1) AS n
                RETURNING id
            ), wallets AS (
                INSERT INTO accounts (kind, currency, player_id, allow_negative)
                SELECT 'player_wallet', 'XTR', id, false FROM made
            )
            SELECT max(id) FROM made
            """,
            PLAYERS,
        )
        await admin.execute(
            "DELETE FROM pg_statistic WHERE starelid = 'accounts'::regclass;"
            " UPDATE pg_class SET reltuples = -1, relpages = 0"
            " WHERE oid = 'accounts'::regclass"
            "    OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'accounts'::regclass)"
        )
        before = await _rows_read(admin)
        reader = await asyncpg.connect(fresh_database)  # a new connection: its plan is made now
        try:
            read = await reader.fetchval(
                "SELECT placement_snapshot(ARRAY[]::uuid[], ARRAY[$1::bigint], ARRAY['XTR'],"
                " ARRAY['coin'], 'house_bankroll')",
                player,
            )
            # The backend's counters go out when it is next idle.
            await reader.execute("SELECT pg_stat_force_next_flush()")
            await reader.execute("SELECT 1")
        finally:
            await reader.close()
        ((owner, currency, _, balance),) = json.loads(read)["wallets"]  # its wallet, found
        assert (owner, currency, balance) == (player, "XTR", 0)
        # One wallet and the house rows (none made here): a handful, not the 3,000 wallets.
        assert await _rows_read(admin) - before < 50
    finally:
        await admin.close()
