"""What a refused money operation must not have written: a count of the rows of every table a
money operation writes to, compared before and after. Whole tables, not one player's rows: a
refusal writes nothing anywhere (and within one test nothing else writes)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MONEY_TABLES = (
    "ledger_transactions",
    "ledger_legs",
    "outbox",
    "bets",
    "withdrawals",
    "stars_invoices",
    "stars_payments",
    "crypto_invoices",
    "provider_transactions",
    "seamless_rounds",
)


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    counts = {}
    async with engine.connect() as conn:
        for table in MONEY_TABLES:  # names from the tuple above, never from input
            query = text(f"SELECT count(*) FROM {table}")  # nosec B608
            counts[table] = (await conn.execute(query)).scalar_one()
    return counts
