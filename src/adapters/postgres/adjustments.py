"""Adjustment requests (four-eyes) in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.adjustments import AdjustmentRequest, AdjustmentState, WindowTotals
from domain.errors import IdempotencyConflict, NotFound
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

_ADD = text(
    "INSERT INTO adjustment_requests (id, player_id, currency, amount, reason, requested_by,"
    " requested_at, state, decided_by, decided_at, transaction_id)"
    " VALUES (:id, :player, :currency, :amount, :reason, :by, :at, :state, :decided_by,"
    " :decided_at, :tx)"
    " ON CONFLICT (id) DO NOTHING"
)
# A transaction-scoped advisory lock on a name (hashed to the lock's 64-bit key).
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_TOTALS = text(
    "SELECT COALESCE(SUM(abs(amount)) FILTER (WHERE requested_by = :staff), 0) AS staff_total,"
    " COALESCE(SUM(abs(amount)) FILTER (WHERE player_id = :player), 0) AS player_total"
    " FROM adjustment_requests"
    " WHERE currency = :currency AND state <> 'rejected' AND requested_at >= :since"
    " AND (requested_by = :staff OR player_id = :player)"
)
_INVOLVING = text(
    f"SELECT {_COLUMNS} FROM adjustment_requests"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player AND state <> 'rejected'"
    " AND (requested_at >= :since OR decided_at >= :since)"
    " AND (requested_by = :staff OR decided_by = :staff)"
    " ORDER BY requested_at, id"
)


def _row(request: AdjustmentRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "player": request.player_id,
        "currency": request.amount.currency.code,
        "amount": request.amount.amount,
        "reason": request.reason,
        "by": request.requested_by,
        "at": request.requested_at,
        "state": request.state.value,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at,
        "tx": request.transaction_id,
    }


class SqlAdjustmentRequests:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, request: AdjustmentRequest) -> None:
        # The id is the request's idempotency key and its posting's: a second request with it
        # (pending or posted) would make the first unpostable, so it is refused here.
        result = await self._conn.execute(_ADD, _row(request))
        if result.rowcount != 1:
            raise IdempotencyConflict(
                f"adjustment request {request.id} exists already with other content"
            )

    async def window_totals(
        self, staff: str, player_id: int, currency: str, since: datetime
    ) -> WindowTotals:
        # Always the staff member first, then the player: two requests never wait on each
        # other the other way round.
        await self._conn.execute(_LOCK, {"key": f"adjustments:staff:{staff}"})
        await self._conn.execute(_LOCK, {"key": f"adjustments:player:{player_id}"})
        row = (
            await self._conn.execute(
                _TOTALS,
                {"staff": staff, "player": player_id, "currency": currency, "since": since},
            )
        ).one()
        return WindowTotals(staff=int(row.staff_total), player=int(row.player_total))

    async def involving(
        self, player_id: int, staff: str, since: datetime
    ) -> Sequence[AdjustmentRequest]:
        rows = await self._conn.execute(
            _INVOLVING, {"player": player_id, "staff": staff, "since": since}
        )
        return [self._request(r) for r in rows]

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
