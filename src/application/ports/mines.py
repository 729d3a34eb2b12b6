"""Mines fields beside their bets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from domain.mines import MinesField


class MinesRepository(Protocol):
    """Mines fields by their bet's id. Only `add` creates one and only `save` changes one."""

    async def add(self, field: MinesField) -> bool:
        """Insert an open field; False (nothing written) when the player already has an open
        game in that currency, a concurrent one included (the call waits for it)."""
        ...

    async def find(self, game_id: uuid.UUID) -> MinesField | None: ...

    async def open_for(self, player_id: int, currency: str) -> MinesField | None:
        """The player's open game in that currency, if any."""
        ...

    async def save(self, field: MinesField) -> None:
        """Persist a step of an open field (revealed tiles, its end)."""
        ...

    async def of_bets(self, game_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MinesField]:
        """The fields of these bets that exist (for reconciliation)."""
        ...
