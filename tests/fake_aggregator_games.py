"""In-memory aggregators' game catalogue (the adapter's rules: one row per aggregator and game
code, new games off for the operator, the operator's switch kept across refreshes, a game gone
from the list unlisted) and an aggregator's operator API that answers from a list (or is
down), recording the URL requests it was asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.aggregator_games import (
    AggregatorGame,
    AggregatorUnavailable,
    GameUrlRequest,
    ListedGame,
)

if TYPE_CHECKING:
    from tests.fakes import _State


def _order(game: AggregatorGame) -> tuple[str, str, str]:
    return (game.aggregator, game.name, game.game_code)


class FakeAggregatorGames:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def refresh(
        self, aggregator: str, listed: Sequence[ListedGame], now: datetime
    ) -> tuple[int, int]:
        games = self.s.aggregator_games
        added = 0
        for item in listed:
            key = (aggregator, item.game_code)
            known = games.get(key)
            if known is None:
                added += 1
            games[key] = AggregatorGame(
                aggregator=aggregator,
                game_code=item.game_code,
                name=item.name,
                category=item.category,
                product=item.product,
                provider_enabled=item.enabled,
                operator_enabled=known.operator_enabled if known else False,
                listed=True,
                last_seen_at=now,
            )
        codes = {item.game_code for item in listed}
        delisted = 0
        for key, game in list(games.items()):
            if key[0] == aggregator and game.listed and key[1] not in codes:
                games[key] = replace(game, listed=False)
                delisted += 1
        return added, delisted

    async def get(self, aggregator: str, game_code: str) -> AggregatorGame | None:
        return self.s.aggregator_games.get((aggregator, game_code))

    async def lock(self, aggregator: str, game_code: str) -> AggregatorGame | None:
        return self.s.aggregator_games.get((aggregator, game_code))

    async def set_operator_enabled(self, aggregator: str, game_code: str, enabled: bool) -> None:
        key = (aggregator, game_code)
        self.s.aggregator_games[key] = replace(
            self.s.aggregator_games[key], operator_enabled=enabled
        )

    async def list(self, aggregator: str | None = None) -> Sequence[AggregatorGame]:
        found = [
            g
            for g in self.s.aggregator_games.values()
            if aggregator is None or g.aggregator == aggregator
        ]
        return sorted(found, key=_order)

    async def launchable(self) -> Sequence[AggregatorGame]:
        return sorted((g for g in self.s.aggregator_games.values() if g.launchable), key=_order)


@dataclass
class FakeAggregatorApi:
    """Each configured aggregator's list; `down` makes every call fail as a timeout would."""

    lists: dict[str, list[ListedGame]] = field(default_factory=dict)
    down: bool = False
    url_answer: str | None = None  # None: a URL built from the request
    asked: list[tuple[str, GameUrlRequest]] = field(default_factory=list)

    def knows(self, aggregator: str) -> bool:
        return aggregator in self.lists

    def configured(self) -> Sequence[str]:
        return sorted(self.lists)

    async def games(self, aggregator: str) -> Sequence[ListedGame]:
        if self.down or aggregator not in self.lists:
            raise AggregatorUnavailable(f"{aggregator}: TimeoutError")
        return list(self.lists[aggregator])

    async def game_url(self, aggregator: str, request: GameUrlRequest) -> str:
        if self.down or aggregator not in self.lists:
            raise AggregatorUnavailable(f"{aggregator}: TimeoutError")
        self.asked.append((aggregator, request))
        if self.url_answer is not None:
            return self.url_answer
        return f"https://games.example/{aggregator}/{request.game_code}?token={request.token}"
