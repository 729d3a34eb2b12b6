"""The Mini App's rules of a game, before a bet (UKGC RTS 3):

    GET /api/v1/app/games/{code}/rules?currency=XTR

The same numbers the bot's ℹ️ Rules shows (`application.games_rules.GetGameRules`, computed from
the game objects at the configured house edge): the return to player and house edge as exact
decimals with two places (RTP rounded down, edge up; a range when bets differ), the payout table
of the Telegram dice games, the biggest win (times the stake) and the most one bet pays in the
currency, and where the outcome comes from. An unknown game is a 409 problem naming the games,
as every door says it."""

from __future__ import annotations

from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from application.games_rules import GetGameRules, ShownRules
from domain.games.base import format_multiplier
from domain.games.catalog import GAMES
from domain.games.rules import percent
from domain.money import CurrencyRegistry
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session
from entrypoints.http.miniapp_wire import Amount, amount_view, parse_currency


class PayLineView(msgspec.Struct):
    params: dict[str, str]  # the selection, as POST /play and the bot take it
    multiplier: str  # exact decimal, times the stake
    chance: str  # exact fraction of equally likely values ("3/64")
    chance_percent: str  # rounded down, two places


class RulesView(msgspec.Struct):
    code: str
    source: str  # provably_fair | telegram_dice | crash_round
    enabled: bool
    house_edge_configured: str  # exact decimal ("0.01")
    rtp_low: str  # per cent, two places, rounded down ("99.00")
    rtp_high: str
    house_edge_low: str  # per cent, two places, rounded up ("1.00")
    house_edge_high: str
    max_multiplier: str  # the most any bet pays, times the stake
    max_payout: Amount | None  # the most one bet pays in the currency; null: not offered in it
    pay_table: list[PayLineView]  # Telegram dice games; empty for the others


def rules_view(shown: ShownRules) -> RulesView:
    rules = shown.rules
    game = GAMES[rules.code]
    return RulesView(
        code=rules.code,
        source=rules.source.value,
        enabled=shown.enabled,
        house_edge_configured=format_multiplier(rules.house_edge_configured),
        rtp_low=percent(rules.rtp_low),
        rtp_high=percent(rules.rtp_high),
        house_edge_low=percent(rules.house_edge_low, up=True),
        house_edge_high=percent(rules.house_edge_high, up=True),
        max_multiplier=format_multiplier(rules.max_multiplier),
        max_payout=None if shown.max_payout is None else amount_view(shown.max_payout),
        pay_table=[
            PayLineView(
                params=game.params(line.selection),
                multiplier=format_multiplier(line.multiplier),
                chance=f"{line.probability.numerator}/{line.probability.denominator}",
                chance_percent=percent(line.probability),
            )
            for line in rules.pay_table
        ],
    )


class MiniAppRulesController(Controller):
    path = "/api/v1/app/games"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012

    @get("/{code:str}/rules", summary="A game's rules: RTP, house edge, pay table, biggest win")
    @inject
    async def rules(
        self,
        code: FromPath[str],
        get_rules: FromDishka[GetGameRules],
        currencies: FromDishka[CurrencyRegistry],
        currency: Annotated[str, QueryParameter()] = "XTR",
    ) -> RulesView:
        return rules_view(await get_rules(code, parse_currency(currencies, currency, "currency")))
