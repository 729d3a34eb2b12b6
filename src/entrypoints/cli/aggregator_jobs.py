"""The aggregators' periodic jobs that `croupier run` starts beside its `http` part (the part
that serves the aggregators' wallet and holds the catalogue's readers and the launch):

- the **catalogue refresh**, when an operator API is configured: every
  CROUPIER_AGGREGATOR_GAMES_REFRESH_S, each aggregator's games list is asked and upserted
  (docs/aggregators.md, "The catalogue"). Several processes may run it: the upsert is one
  statement per aggregator, in game-code order, and the last one to run wins with the same list;
- the **forgetting of kept answers**: the answers kept by `request_uuid` longer than
  CROUPIER_AGGREGATOR_ANSWER_RETENTION_DAYS are deleted (`ForgetOldAnswers`, the use case of
  `croupier aggregator forget-answers`; docs/aggregators.md, "Repeated requests"). No leader
  lock: each run deletes a short batch of the oldest rows and a row deleted by one process is
  skipped by another; forgetting moves no money (the wallet is idempotent on the transaction
  ids, never forgotten)."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.aggregators import ForgetOldAnswers, RefreshAllAggregatorGames
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_aggregator_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if "http" not in parts:
        return []
    tasks = []
    if settings.aggregator_operator_apis() and settings.aggregator_games_refresh_s:
        tasks.append(_refresh_task(settings, container, stop))
    if settings.aggregator_forget_interval_s:
        tasks.append(_forget_task(settings, container, stop))
    return tasks


def _refresh_task(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event
) -> asyncio.Task[None]:
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
    return asyncio.create_task(
        every(interval, refresh, stop, "aggregator games refresh", at_once=True)
    )


def _forget_task(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event
) -> asyncio.Task[None]:
    days = settings.aggregator_answer_retention_days

    async def forget() -> None:
        async with container() as scope:
            deleted = await (await scope.get(ForgetOldAnswers))(days)
        if deleted:
            log.info("aggregators: forgot %d kept answer(s) older than %d days", deleted, days)

    # A first run at once: a process restarted more often than the interval still forgets.
    interval = settings.aggregator_forget_interval_s
    return asyncio.create_task(every(interval, forget, stop, "aggregator answers", at_once=True))
