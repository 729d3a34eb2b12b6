"""The groups the bot runs duels in (revision 0047), and what their duels brought: the
settled duels' stakes from `duels`, the cut and the owner's part from their settlements'
postings (the figures the ledger holds, not recomputed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.duel_groups import DuelGroup, GroupDuelStats
from domain.money import CurrencyRegistry, Money

_RECORD = text(
    "INSERT INTO duel_groups (chat_id, title, owner_telegram_id, added_by_admin, checked_at)"
    " VALUES (:chat_id, :title, :owner_telegram_id, :added_by_admin, :checked_at)"
    " ON CONFLICT (chat_id) DO UPDATE SET title = EXCLUDED.title,"
    " owner_telegram_id = EXCLUDED.owner_telegram_id,"
    " added_by_admin = EXCLUDED.added_by_admin, checked_at = EXCLUDED.checked_at"
)
_FIND = text(
    "SELECT chat_id, title, owner_telegram_id, added_by_admin, checked_at FROM duel_groups"
    " WHERE chat_id = :chat_id"
)
_STATS = text(
    """
    SELECT d.currency, count(*) AS settled, sum(d.stake * 2) AS staked,
           sum((t.metadata ->> 'cut')::bigint) AS cut,
           sum(coalesce((t.metadata ->> 'owner_share')::bigint, 0)) AS owner_share
    FROM duels d
    JOIN ledger_transactions t
      ON t.idempotency_key = 'duel:' || d.id::text || ':' || 'settle'
    WHERE d.chat_id = :chat_id AND d.state = 'settled'
    GROUP BY d.currency
    ORDER BY d.currency
    """
)


class SqlDuelGroups:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def record(self, group: DuelGroup) -> None:
        await self._conn.execute(
            _RECORD,
            {
                "chat_id": group.chat_id,
                "title": group.title,
                "owner_telegram_id": group.owner_telegram_id,
                "added_by_admin": group.added_by_admin,
                "checked_at": group.checked_at,
            },
        )

    async def find(self, chat_id: int) -> DuelGroup | None:
        row = (await self._conn.execute(_FIND, {"chat_id": chat_id})).first()
        if row is None:
            return None
        return DuelGroup(
            row.chat_id, row.title, row.owner_telegram_id, row.added_by_admin, row.checked_at
        )

    async def stats(self, chat_id: int) -> Sequence[GroupDuelStats]:
        rows = await self._conn.execute(_STATS, {"chat_id": chat_id})
        found = []
        for row in rows:
            currency = self._currencies.get(row.currency)
            found.append(
                GroupDuelStats(
                    settled=row.settled,
                    staked=Money(int(row.staked), currency),
                    cut=Money(int(row.cut), currency),
                    owner_share=Money(int(row.owner_share), currency),
                )
            )
        return found
