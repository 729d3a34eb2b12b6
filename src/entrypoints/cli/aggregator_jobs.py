"""The refresh of the aggregators' game catalogue that `croupier run` starts beside its `http`
part (the part that holds the catalogue's readers and the launch), when an operator API is
configured: every CROUPIER_AGGREGATOR_GAMES_REFRESH_S, each aggregator's games list is asked
and upserted (docs/aggregators.md, "The catalogue"). Several processes may run it: the upsert
is one statement per aggregator, and the last one to run wins with the same list."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.aggregators import RefreshAllAggregatorGames
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_aggregator_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if (
        not settings.aggregator_operator_apis()
        or not settings.aggregator_games_refresh_s
        or "http" not in parts
    ):
        return []

    async def refresh() -> None:
        async with container() as scope:
            results = await (await scope.get(RefreshAllAggregatorGames))()
        for result in results:
            if isinstance(result, Exception):
                log.warning("aggregator games refresh: %s", result)
            elif result.added or result.delisted:
                log.info(
                    "aggregator games %s: %d listed, %d new, %d gone",
                    result.aggregator,
                    result.listed,
                    result.added,
                    result.delisted,
                )

    interval = settings.aggregator_games_refresh_s
    return [
        asyncio.create_task(
            every(interval, refresh, stop, "aggregator games refresh", at_once=True)
        )
    ]
