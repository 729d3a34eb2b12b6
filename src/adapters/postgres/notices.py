"""The bot's notices in PostgreSQL (revision 0032): `bot_notices`, one row a dedup key, and
`bot_unreachable`, the players who blocked the bot."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.notices import DueNotice, NewNotice, Notice, NoticeState, NoticeValue

_COLUMNS = (
    "n.id, n.dedup_key, n.player_id, n.kind, n.subject, n.data, n.state, n.attempts, n.not_before"
)
_ADD = text(
    "INSERT INTO bot_notices (dedup_key, player_id, kind, subject, data, state, not_before)"
    " VALUES (:key, :player, :kind, :subject, CAST(:data AS jsonb), :state,"
    " coalesce(CAST(:not_before AS timestamptz), now()))"
    " ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
)
_WAITING = text(
    f"SELECT {_COLUMNS} FROM bot_notices n"  # noqa: S608  # nosec B608 - constant columns
    " WHERE n.subject = :subject AND n.state = 'waiting' ORDER BY n.id FOR UPDATE"
)
# By the partial index of waiting notices: a handful of subjects at any time.
_WAITING_SUBJECTS = text(
    "SELECT subject FROM bot_notices WHERE state = 'waiting'"
    " GROUP BY subject ORDER BY min(id) LIMIT :limit"
)
_MAKE_DUE = text(
    "UPDATE bot_notices SET state = 'due', data = CAST(:data AS jsonb), not_before = now()"
    " WHERE id = :id AND state = 'waiting'"
)
# The player's chat is their Telegram id; their language, the one they chose in the bot.
_DUE = text(
    f"SELECT {_COLUMNS}, p.telegram_user_id, coalesce(pp.language, 'en') AS language,"  # noqa: S608  # nosec B608 - constant columns
    " u.player_id IS NOT NULL AS unreachable"
    " FROM bot_notices n JOIN players p ON p.id = n.player_id"
    " LEFT JOIN player_preferences pp ON pp.player_id = n.player_id"
    " LEFT JOIN bot_unreachable u ON u.player_id = n.player_id"
    " WHERE n.state = 'due' AND n.not_before <= :now ORDER BY n.not_before, n.id LIMIT :limit"
)
_END = text(
    "UPDATE bot_notices SET state = :state,"
    " sent_at = CASE WHEN :state = 'sent' THEN CAST(:at AS timestamptz) END WHERE id = :id"
)
_POSTPONE = text("UPDATE bot_notices SET not_before = :until, attempts = :attempts WHERE id = :id")
_UNREACHABLE = text(
    "INSERT INTO bot_unreachable (player_id, since, reason) VALUES (:player, :at, :reason)"
    " ON CONFLICT (player_id) DO UPDATE SET since = excluded.since, reason = excluded.reason"
)
_LAST_SENT = text(
    "SELECT max(sent_at) AS at FROM bot_notices"
    " WHERE player_id = :player AND kind = :kind AND state = 'sent'"
)
_REACHABLE = text("DELETE FROM bot_unreachable WHERE player_id = :player RETURNING player_id")


class SqlNoticeStore:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, notice: NewNotice, *, due: bool = False) -> bool:
        row = await self._conn.execute(
            _ADD,
            {
                "key": notice.dedup_key,
                "player": notice.player_id,
                "kind": notice.kind,
                "subject": notice.subject,
                "data": json.dumps(dict(notice.data)),
                "state": (NoticeState.DUE if due else NoticeState.WAITING).value,
                "not_before": notice.not_before,
            },
        )
        return row.first() is not None

    async def waiting(self, subject: str) -> Sequence[Notice]:
        rows = await self._conn.execute(_WAITING, {"subject": subject})
        return [_notice(row) for row in rows]

    async def waiting_subjects(self, limit: int) -> Sequence[str]:
        rows = await self._conn.execute(_WAITING_SUBJECTS, {"limit": limit})
        return [row.subject for row in rows]

    async def make_due(self, notice_id: int, data: Mapping[str, NoticeValue]) -> None:
        await self._conn.execute(_MAKE_DUE, {"id": notice_id, "data": json.dumps(dict(data))})

    async def due(self, now: datetime, limit: int) -> Sequence[DueNotice]:
        rows = await self._conn.execute(_DUE, {"now": now, "limit": limit})
        return [
            DueNotice(_notice(row), row.telegram_user_id, row.language, row.unreachable)
            for row in rows
        ]

    async def end(self, notice_id: int, state: NoticeState, at: datetime) -> None:
        await self._conn.execute(_END, {"id": notice_id, "state": state.value, "at": at})

    async def postpone(self, notice_id: int, until: datetime, *, attempts: int) -> None:
        await self._conn.execute(_POSTPONE, {"id": notice_id, "until": until, "attempts": attempts})

    async def mark_unreachable(self, player_id: int, at: datetime, reason: str) -> None:
        reason = (reason or "blocked")[:500]
        await self._conn.execute(_UNREACHABLE, {"player": player_id, "at": at, "reason": reason})

    async def reachable_again(self, player_id: int) -> bool:
        return (await self._conn.execute(_REACHABLE, {"player": player_id})).first() is not None

    async def last_sent(self, player_id: int, kind: str) -> datetime | None:
        row = (await self._conn.execute(_LAST_SENT, {"player": player_id, "kind": kind})).one()
        at: datetime | None = row.at
        return at


def _notice(row: Any) -> Notice:
    return Notice(
        id=row.id,
        dedup_key=row.dedup_key,
        player_id=row.player_id,
        kind=row.kind,
        subject=row.subject,
        data=dict(row.data) if isinstance(row.data, dict) else dict(json.loads(row.data)),
        state=NoticeState(row.state),
        attempts=row.attempts,
        not_before=row.not_before,
    )
