"""Manual adjustments under the four-eyes rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.adjustments import AdjustmentRequest, AdjustmentState, WindowTotals


class AdjustmentRequestRepository(Protocol):
    """Adjustments waiting for (or decided by) a second finance user."""

    async def add(self, request: AdjustmentRequest) -> None:
        """Record a request: a pending one, or a small one posted at once (approved). Its id
        is reserved from then on: another request with the same id is an
        `IdempotencyConflict`."""
        ...

    async def window_totals(
        self, staff: str, player_id: int, currency: str, since: datetime
    ) -> WindowTotals:
        """The staff member's and the player's adjustments in `currency` since `since`
        (pending and approved, either sign). Locks the staff member's and the player's
        adjustments first (until the unit of work ends), so that two concurrent requests add
        up one after the other and cannot both slip under the threshold."""
        ...

    async def involving(
        self, player_id: int, staff: str, since: datetime
    ) -> Sequence[AdjustmentRequest]:
        """The player's adjustments (pending or approved) that `staff` asked for or approved,
        requested or decided since `since`."""
        ...

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> AdjustmentRequest:
        """The request, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save(self, request: AdjustmentRequest) -> None:
        """Persist a decision on a pending request."""
        ...

    async def list(
        self, state: AdjustmentState | None, limit: int
    ) -> Sequence[AdjustmentRequest]: ...
