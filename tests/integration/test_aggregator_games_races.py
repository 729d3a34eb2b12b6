"""Refreshes of one aggregator's catalogue racing on real PostgreSQL connections: two
processes' periodic jobs at once, their lists in opposite orders (an aggregator does not
promise one), and the operator switching games meanwhile. Neither deadlocks (the rows are
upserted in code order), every game ends listed once, and the operator's switches hold."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest

from application.aggregators import (
    LaunchableGamesCache,
    RefreshAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.staff import Actor
from domain.aggregator_games import ListedGame
from tests.fake_aggregator_games import FakeAggregatorApi

pytestmark = [pytest.mark.integration]

GAMES = 400


@pytest.mark.parametrize("attempt", range(3))
async def test_two_refreshes_and_the_operators_switches_race_without_a_deadlock(
    attempt, uow_factory, clock
):
    name = f"race-{secrets.token_hex(4)}"
    games = [ListedGame(f"g-{i:04d}", f"Game {i}") for i in range(GAMES)]
    forwards = FakeAggregatorApi({name: games})
    backwards = FakeAggregatorApi({name: list(reversed(games))})
    cache = LaunchableGamesCache(uow_factory, clock, timedelta(0))
    await RefreshAggregatorGames(uow_factory, forwards, clock, cache)(name)
    switch = SetAggregatorGameEnabled(uow_factory, clock, cache)
    switched = [f"g-{i:04d}" for i in range(0, GAMES, 40)]

    results = await asyncio.gather(
        RefreshAggregatorGames(uow_factory, forwards, clock, cache)(name),
        RefreshAggregatorGames(uow_factory, backwards, clock, cache)(name),
        *(switch(name, code, True, Actor("staff:race")) for code in switched),
    )
    refreshed = results[:2]
    assert [(r.listed, r.added, r.delisted) for r in refreshed] == [(GAMES, 0, 0)] * 2
    async with uow_factory() as uow:
        catalogue = await uow.aggregator_games.list(name)
    assert len(catalogue) == GAMES
    assert all(g.listed for g in catalogue)
    assert sorted(g.game_code for g in catalogue if g.operator_enabled) == switched
