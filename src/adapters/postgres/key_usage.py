"""What each service key brought into wallets per currency and UTC day (api_key_usage)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# The upsert takes the row's lock until the unit of work ends, so two deposits of one key on
# one day are counted one after the other, never both against the same old total.
_ADD = text(
    """
    INSERT INTO api_key_usage (key_name, currency, day, total)
    VALUES (:key_name, :currency, :day, :amount)
    ON CONFLICT (key_name, currency, day) DO UPDATE SET total = api_key_usage.total + :amount
    RETURNING total
    """
)


class SqlKeyUsage:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, key_name: str, currency: str, day: date, amount: int) -> int:
        values = {"key_name": key_name, "currency": currency, "day": day, "amount": amount}
        total: int = (await self._conn.execute(_ADD, values)).scalar_one()
        return total
