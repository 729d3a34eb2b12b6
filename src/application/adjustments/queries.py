"""The staff's list of adjustment requests."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import UnitOfWorkFactory
from domain.adjustments import AdjustmentRequest, AdjustmentState
from domain.errors import InvalidRequest


class ListAdjustments:
    """Adjustment requests, newest first, optionally only those in one state."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, state: AdjustmentState | None, limit: int = 50
    ) -> Sequence[AdjustmentRequest]:
        if not 1 <= limit <= 200:
            raise InvalidRequest("limit must be between 1 and 200")
        async with self._uow() as uow:
            return await uow.adjustments.list(state, limit)
