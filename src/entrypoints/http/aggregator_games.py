"""Staff: the catalogue of aggregators' games (docs/aggregators.md, "The catalogue"): read it,
refresh it from an aggregator now, switch a game on or off for players (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.aggregators import (
    ListAggregatorGames,
    RefreshAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.staff import Actor
from domain.aggregator_games import AggregatorGame
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires


class CatalogueGameView(msgspec.Struct):
    aggregator: str
    game_code: str
    name: str
    category: str
    product: str
    provider_enabled: bool  # the aggregator's switch
    operator_enabled: bool  # the operator's switch (off until turned on)
    listed: bool  # in the aggregator's list at the last refresh
    launchable: bool  # all three
    last_seen_at: datetime


class CatalogueView(msgspec.Struct):
    games: list[CatalogueGameView]


class SwitchBody(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool


class RefreshView(msgspec.Struct):
    aggregator: str
    listed: int
    added: int
    delisted: int


def view(game: AggregatorGame) -> CatalogueGameView:
    return CatalogueGameView(
        aggregator=game.aggregator,
        game_code=game.game_code,
        name=game.name,
        category=game.category,
        product=game.product,
        provider_enabled=game.provider_enabled,
        operator_enabled=game.operator_enabled,
        listed=game.listed,
        launchable=game.launchable,
        last_seen_at=game.last_seen_at,
    )


class AggregatorGamesController(Controller):
    path = "/api/v1/aggregator-games"
    tags = ["games"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get("/", guards=[ANY_STAFF], summary="The aggregators' games, launchable or not")
    @inject
    async def catalogue(
        self,
        games: FromDishka[ListAggregatorGames],
        aggregator: Annotated[str | None, QueryParameter()] = None,
    ) -> CatalogueView:
        return CatalogueView([view(g) for g in await games(aggregator)])

    @post(
        "/{aggregator:str}/refresh",
        status_code=200,
        guards=[requires(Role.OPERATOR)],
        summary="Refresh an aggregator's games from its list now",
        description="New games come in switched off; a game gone from the list is unlisted. "
        "503 `aggregator_unavailable` when the aggregator does not answer (nothing changes).",
    )
    @inject
    async def refresh(
        self, aggregator: FromPath[str], refresh: FromDishka[RefreshAggregatorGames]
    ) -> RefreshView:
        done = await refresh(aggregator)
        return RefreshView(done.aggregator, done.listed, done.added, done.delisted)

    @patch(
        "/{aggregator:str}/{game_code:str}",
        guards=[requires(Role.OPERATOR)],
        summary="Switch an aggregator's game on or off for players (audited)",
    )
    @inject
    async def switch(
        self,
        aggregator: FromPath[str],
        game_code: FromPath[str],
        data: JSONBody[SwitchBody],
        actor: NamedDependency[Actor],
        switch: FromDishka[SetAggregatorGameEnabled],
    ) -> CatalogueGameView:
        return view(await switch(aggregator, game_code, data.enabled, actor))
