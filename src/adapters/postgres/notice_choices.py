"""A player's notification choices in PostgreSQL (revision 0043, `notice_choices`; 0048 adds
the opt-in topic `big_wins`): a row a topic the player chose about, `enabled` as chosen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.notifications import OPT_IN_TOPICS, NoticeChoices, Topic

_CHOSEN = text("SELECT topic, enabled FROM notice_choices WHERE player_id = :player")
_CHOOSE = text(
    "INSERT INTO notice_choices (player_id, topic, enabled, changed_at)"
    " VALUES (:player, :topic, :on, :at) ON CONFLICT (player_id, topic)"
    " DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at"
)


class SqlNoticeChoiceStore:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def of(self, player_id: int) -> NoticeChoices:
        rows = (await self._conn.execute(_CHOSEN, {"player": player_id})).all()
        off = frozenset(Topic(row.topic) for row in rows if not row.enabled)
        on = frozenset(Topic(row.topic) for row in rows if row.enabled)
        return NoticeChoices(player_id, off - OPT_IN_TOPICS, on & OPT_IN_TOPICS)

    async def choose(self, player_id: int, topic: Topic, on: bool, at: datetime) -> None:
        await self._conn.execute(
            _CHOOSE, {"player": player_id, "topic": topic.value, "on": on, "at": at}
        )
