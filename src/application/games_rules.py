"""A game's rules for a player about to bet (UKGC RTS 3): the numbers of `domain.games.rules` at
the house edge this casino runs the game with, and the most a bet pays in a currency."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from application.ports import UnitOfWorkFactory
from domain.games.catalog import GameConfig, game_by_code
from domain.games.rules import GameRules, game_rules
from domain.money import Currency, Money


@dataclass(frozen=True, slots=True)
class ShownRules:
    rules: GameRules
    enabled: bool
    # The payout limit of one bet in the currency asked for; None when the game is not
    # offered in it.
    max_payout: Money | None


class GetGameRules:
    """The rules of one game as configured now; `GameUnavailable` for an unknown code."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, code: str, currency: Currency) -> ShownRules:
        game = game_by_code(code)
        async with self._uow() as uow:
            config: GameConfig = await uow.games.get(code)
        # The first count for a (game, edge) enumerates every selection (dice: ~20,000 exact
        # fractions): off the event loop, then cached.
        rules = await asyncio.to_thread(game_rules, game, config.house_edge)
        limits = config.limits.get(currency.code)
        payout = None if limits is None else Money(limits.max_payout, currency)
        return ShownRules(rules, config.enabled, payout)
