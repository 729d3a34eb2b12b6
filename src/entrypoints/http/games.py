"""Operators: list games and change their switch, house edge and limits (audited)."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from application.game_admin import GameChange, ListGames, UpdateGame
from application.staff import Actor
from domain.errors import DomainError, InvalidField
from domain.games.base import MAX_RTP, MIN_RTP
from domain.games.catalog import GameConfig, StakeLimits, parse_house_edge
from domain.money import CurrencyRegistry
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires


class Limits(msgspec.Struct, forbid_unknown_fields=True):
    min_stake: int
    max_stake: int
    max_payout: int


class GameView(msgspec.Struct):
    code: str
    title: str
    source: str
    enabled: bool
    house_edge: str
    uses_house_edge: bool
    limits: dict[str, Limits]
    bonus_contribution_pct: int  # the per cent of a stake that counts toward bonus wagering


class GameList(msgspec.Struct):
    games: list[GameView]
    rtp_range: list[str]


class GameUpdate(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | None = None
    house_edge: str | None = None  # a decimal fraction, e.g. "0.02"
    limits: dict[str, Limits] | None = None
    bonus_contribution_pct: int | None = None  # 0-100 (docs/bonuses.md)


def view(config: GameConfig) -> GameView:
    game = config.game
    return GameView(
        code=config.code,
        title=game.title,
        source=game.source.value,
        enabled=config.enabled,
        house_edge=str(Decimal(config.house_edge.numerator) / config.house_edge.denominator),
        uses_house_edge=game.uses_house_edge,
        limits={
            c: Limits(lim.min_stake, lim.max_stake, lim.max_payout)
            for c, lim in sorted(config.limits.items())
        },
        bonus_contribution_pct=config.contribution_pct,
    )


class GamesController(Controller):
    path = "/api/v1/games"
    tags = ["games"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get("/", guards=[ANY_STAFF], summary="Every game and its configuration")
    @inject
    async def list_games(self, games: FromDishka[ListGames]) -> GameList:
        return GameList(
            [view(c) for c in await games()], [str(float(MIN_RTP)), str(float(MAX_RTP))]
        )

    @patch(
        "/{code:str}",
        guards=[requires(Role.OPERATOR)],
        summary="Switch a game, change its house edge, limits or bonus contribution (audited)",
    )
    @inject
    async def update(
        self,
        code: FromPath[str],
        data: JSONBody[GameUpdate],
        actor: NamedDependency[Actor],
        update: FromDishka[UpdateGame],
        currencies: FromDishka[CurrencyRegistry],
    ) -> GameView:
        edge = None
        if data.house_edge is not None:
            try:
                edge = parse_house_edge(data.house_edge)
            except DomainError as error:
                raise InvalidField("house_edge", error.message) from None
        limits = None
        if data.limits is not None:
            limits = {}
            for currency, lim in data.limits.items():
                try:
                    code_ = currencies.get(currency.upper()).code
                    limits[code_] = StakeLimits(lim.min_stake, lim.max_stake, lim.max_payout)
                except DomainError as error:
                    raise InvalidField(f"limits.{currency}", error.message) from None
        change = GameChange(data.enabled, edge, limits, data.bonus_contribution_pct)
        changed = await update(code, change, actor)
        return view(changed)
