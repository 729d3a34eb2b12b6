"""Adjustment requests (four-eyes) in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.adjustments import AdjustmentRequest, AdjustmentState
from domain.errors import NotFound
from domain.money import CurrencyRegistry, Money

_COLUMNS = (
    "id, player_id, currency, amount, reason, requested_by, requested_at, state, decided_by,"
    " decided_at, transaction_id"
)
_GET = text(f"SELECT {_COLUMNS} FROM adjustment_requests WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS} FROM adjustment_requests WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_LIST = text(
    f"SELECT {_COLUMNS} FROM adjustment_requests"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE CAST(:state AS text) IS NULL OR state = :state"
    " ORDER BY requested_at DESC, id DESC LIMIT :limit"
)


class SqlAdjustmentRequests:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, request: AdjustmentRequest) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO adjustment_requests (id, player_id, currency, amount, reason,"
                " requested_by, requested_at, state)"
                " VALUES (:id, :player, :currency, :amount, :reason, :by, :at, 'pending')"
            ),
            {
                "id": request.id,
                "player": request.player_id,
                "currency": request.amount.currency.code,
                "amount": request.amount.amount,
                "reason": request.reason,
                "by": request.requested_by,
                "at": request.requested_at,
            },
        )

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> AdjustmentRequest:
        row = (
            await self._conn.execute(_GET_FOR_UPDATE if for_update else _GET, {"id": request_id})
        ).first()
        if row is None:
            raise NotFound(f"no adjustment request {request_id}")
        return self._request(row)

    async def save(self, request: AdjustmentRequest) -> None:
        result = await self._conn.execute(
            text(
                "UPDATE adjustment_requests SET state = :state, decided_by = :by,"
                " decided_at = :at, transaction_id = :tx WHERE id = :id AND state = 'pending'"
            ),
            {
                "state": request.state.value,
                "by": request.decided_by,
                "at": request.decided_at,
                "tx": request.transaction_id,
                "id": request.id,
            },
        )
        if result.rowcount != 1:
            raise NotFound(f"no pending adjustment request {request.id}")

    async def list(self, state: AdjustmentState | None, limit: int) -> Sequence[AdjustmentRequest]:
        rows = await self._conn.execute(
            _LIST, {"state": state.value if state else None, "limit": limit}
        )
        return [self._request(r) for r in rows]

    def _request(self, row: Any) -> AdjustmentRequest:
        return AdjustmentRequest(
            id=row.id,
            player_id=row.player_id,
            amount=Money(row.amount, self._currencies.get(row.currency)),
            reason=row.reason,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            state=AdjustmentState(row.state),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            transaction_id=row.transaction_id,
        )
