"""The Mini App's "More games": the aggregators' games the operator turned on, and launching one
(docs/aggregators.md, "Launching a game"; docs/miniapp.md). A launch answers the aggregator's
game URL for a fresh game session token; it is refused with the standing's own problem (as a
bet is), `game_unavailable` (409) for a game not launchable, and `aggregator_unavailable`
(503) when the aggregator does not answer with a URL."""

from __future__ import annotations

from typing import Literal

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from application.aggregators import LaunchGame, PlayerAggregatorGames
from domain.aggregator_games import AggregatorGame
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id

_PLATFORMS = {"mobile": "GPL_MOBILE", "desktop": "GPL_DESKTOP"}


class AggregatorGameView(msgspec.Struct):
    aggregator: str
    game_code: str
    name: str
    category: str
    product: str  # the studio


class AggregatorGamesView(msgspec.Struct):
    games: list[AggregatorGameView]


class LaunchBody(msgspec.Struct, forbid_unknown_fields=True):
    currency: str = "XTR"
    platform: Literal["mobile", "desktop"] = "mobile"


class LaunchView(msgspec.Struct):
    aggregator: str
    game_code: str
    currency: str
    url: str  # open it at once: its session token expires (CROUPIER_GAME_SESSION_TTL_S)


def game_view(game: AggregatorGame) -> AggregatorGameView:
    return AggregatorGameView(
        game.aggregator, game.game_code, game.name, game.category, game.product
    )


class MiniAppAggregatorGamesController(Controller):
    path = "/api/v1/app/aggregator-games"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get(
        "/",
        summary="The aggregators' games a player may launch, by aggregator then name",
        description="Kept a few seconds per process (CROUPIER_AGGREGATOR_GAMES_CACHE_S); a "
        "launch checks the catalogue itself.",
    )
    @inject
    async def games(
        self, player_id: NamedDependency[int], games: FromDishka[PlayerAggregatorGames]
    ) -> AggregatorGamesView:
        return AggregatorGamesView([game_view(g) for g in await games()])

    @post(
        "/{aggregator:str}/{game_code:str}/launch",
        status_code=200,
        summary="A game URL for a fresh game session (open it at once)",
        description="Refusals are problem details: the standing's own (403 blocked or terms "
        "not accepted, 409 timed out or self-excluded), `game_unavailable` (409: unknown, "
        "switched off by the operator or the aggregator, or gone from its list), "
        "`unknown_currency` (422), `aggregator_unavailable` (503: it did not answer with a "
        "URL in time; nothing was written).",
    )
    @inject
    async def launch(
        self,
        aggregator: FromPath[str],
        game_code: FromPath[str],
        data: JSONBody[LaunchBody],
        player_id: NamedDependency[int],
        launch: FromDishka[LaunchGame],
    ) -> LaunchView:
        launched = await launch(
            player_id, aggregator, game_code, data.currency, platform=_PLATFORMS[data.platform]
        )
        return LaunchView(launched.aggregator, launched.game_code, launched.currency, launched.url)
