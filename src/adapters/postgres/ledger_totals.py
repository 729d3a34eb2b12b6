"""The ledger's totals per currency and account kind: what the metrics show of the books."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# One pass over the accounts (a few rows per currency for the house, one per player wallet),
# never over the legs: its cost grows with players, not with bets.
_TOTALS = text(
    """
    SELECT currency, kind, count(*) AS accounts, COALESCE(sum(balance), 0) AS balance
    FROM accounts
    GROUP BY currency, kind
    ORDER BY currency, kind
    """
)


@dataclass(frozen=True, slots=True)
class LedgerTotal:
    currency: str
    kind: str
    accounts: int
    balance: int  # minor units: the sum of the balances of those accounts


class SqlLedgerTotals:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self) -> list[LedgerTotal]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_TOTALS)).all()
        return [
            LedgerTotal(row.currency, row.kind, int(row.accounts), int(row.balance)) for row in rows
        ]
