"""Manual adjustments under the four-eyes rule."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from domain.adjustments import AdjustmentRequest, AdjustmentState


class AdjustmentRequestRepository(Protocol):
    """Adjustments waiting for (or decided by) a second finance user."""

    async def add(self, request: AdjustmentRequest) -> None: ...

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> AdjustmentRequest:
        """The request, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save(self, request: AdjustmentRequest) -> None:
        """Persist a decision on a pending request."""
        ...

    async def list(
        self, state: AdjustmentState | None, limit: int
    ) -> Sequence[AdjustmentRequest]: ...
