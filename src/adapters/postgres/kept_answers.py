"""The answers kept by request id (`aggregator_answers`, revision 0058). Keeping one is
`INSERT ... ON CONFLICT DO NOTHING` on the primary key, so a concurrent twin waits for the
first writer's transaction and then sees its row (or none, if it rolled back)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.kept_answers import KeptAnswer

_INSERT = text(
    """
    INSERT INTO aggregator_answers (door, request_id, body_hash, answer, created_at)
    VALUES (:door, :request_id, :body_hash, :answer, :created_at)
    ON CONFLICT ON CONSTRAINT pk_aggregator_answers DO NOTHING
    RETURNING request_id
    """
)
_SELECT = text(
    "SELECT door, request_id, body_hash, answer, created_at FROM aggregator_answers"
    " WHERE door = :door AND request_id = :request_id"
)
# A batch at a time, oldest first (ix_aggregator_answers_created).
_DELETE = text(
    """
    DELETE FROM aggregator_answers WHERE (door, request_id) IN (
        SELECT door, request_id FROM aggregator_answers WHERE created_at < :before
        ORDER BY created_at LIMIT :limit)
    """
)


class SqlKeptAnswers:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, door: str, request_id: str) -> KeptAnswer | None:
        params = {"door": door, "request_id": request_id}
        row = (await self._conn.execute(_SELECT, params)).first()
        return None if row is None else _answer(row)

    async def add(self, answer: KeptAnswer) -> bool:
        values = {
            "door": answer.door,
            "request_id": answer.request_id,
            "body_hash": answer.body_hash,
            "answer": answer.answer,
            "created_at": answer.created_at,
        }
        return (await self._conn.execute(_INSERT, values)).first() is not None

    async def delete_before(self, before: datetime, *, limit: int) -> int:
        result = await self._conn.execute(_DELETE, {"before": before, "limit": limit})
        return int(getattr(result, "rowcount", 0) or 0)


def _answer(row: Any) -> KeptAnswer:
    return KeptAnswer(
        door=row.door,
        request_id=row.request_id,
        body_hash=bytes(row.body_hash),
        answer=bytes(row.answer),
        created_at=row.created_at,
    )
