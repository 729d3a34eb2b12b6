"""The groups the bot runs duels in (revision 0047), and what their duels and lobbies brought:
the settled duels' and lobbies' stakes from `duels` and `duel_lobbies` (a lobby's every seat
not left), the cut and the owner's part from their settlements' postings (the figures the
ledger holds, not recomputed)."""

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
    SELECT x.currency, sum(x.duel) AS settled, sum(x.lobby) AS lobbies,
           sum(x.staked) AS staked, sum(x.cut) AS cut, sum(x.owner_share) AS owner_share
    FROM (
        SELECT d.currency, 1 AS duel, 0 AS lobby, d.stake * 2 AS staked,
               (t.metadata ->> 'cut')::bigint AS cut,
               coalesce((t.metadata ->> 'owner_share')::bigint, 0) AS owner_share
        FROM duels d
        JOIN ledger_transactions t
          ON t.idempotency_key = 'duel:' || d.id::text || ':' || 'settle'
        WHERE d.chat_id = :chat_id AND d.state = 'settled'
        UNION ALL
        SELECT l.currency, 0 AS duel, 1 AS lobby,
               l.stake * (SELECT count(*) FROM duel_lobby_seats s
                          WHERE s.lobby_id = l.id AND s.left_at IS NULL) AS staked,
               (t.metadata ->> 'cut')::bigint AS cut,
               coalesce((t.metadata ->> 'owner_share')::bigint, 0) AS owner_share
        FROM duel_lobbies l
        JOIN ledger_transactions t
          ON t.idempotency_key = 'lobby:' || l.id::text || ':' || 'settle'
        WHERE l.chat_id = :chat_id AND l.state = 'settled'
    ) x
    GROUP BY x.currency
    ORDER BY x.currency
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
                    settled=int(row.settled),
                    lobbies=int(row.lobbies),
                    staked=Money(int(row.staked), currency),
                    cut=Money(int(row.cut), currency),
                    owner_share=Money(int(row.owner_share), currency),
                )
            )
        return found
