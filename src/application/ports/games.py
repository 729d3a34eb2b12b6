"""How each game is configured."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.games.catalog import GameConfig


class GameConfigRepository(Protocol):
    """How each game is configured: on/off, house edge, limits per currency."""

    async def get(self, code: str) -> GameConfig:
        """The configuration, or `GameUnavailable`."""
        ...

    async def all(self) -> Sequence[GameConfig]: ...

    async def save(self, config: GameConfig, now: datetime) -> None:
        """Store the configuration (on/off, house edge, limits per currency)."""
        ...
