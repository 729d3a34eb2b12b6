"""How each game is configured, and the catalogue of the aggregators' games (their own
configuration is the aggregator's; the operator only switches them on or off)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.aggregator_games import AggregatorGame, ListedGame
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


class AggregatorGames(Protocol):
    """The catalogue of aggregators' games (one row per aggregator and game code)."""

    async def refresh(
        self, aggregator: str, listed: Sequence[ListedGame], now: datetime
    ) -> tuple[int, int]:
        """Upsert the aggregator's list: new games are added off (the operator's switch),
        known ones get the aggregator's facts and `last_seen_at = now`; every game of this
        aggregator not in `listed` is marked unlisted. Answer (added, delisted)."""
        ...

    async def get(self, aggregator: str, game_code: str) -> AggregatorGame | None: ...

    async def lock(self, aggregator: str, game_code: str) -> AggregatorGame | None:
        """The game, locked for the operator's change (FOR UPDATE)."""
        ...

    async def set_operator_enabled(
        self, aggregator: str, game_code: str, enabled: bool
    ) -> None: ...

    async def list(self, aggregator: str | None = None) -> Sequence[AggregatorGame]:
        """Every game of the catalogue (of one aggregator), by aggregator, then name."""
        ...

    async def launchable(self) -> Sequence[AggregatorGame]:
        """The games a player may launch now, by aggregator, then name."""
        ...
