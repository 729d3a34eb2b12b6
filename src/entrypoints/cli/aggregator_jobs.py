"""The aggregators' periodic job that `croupier run` starts beside the `http` part (the part
that serves the aggregators' wallet, and so keeps their answers): the answers kept by
`request_uuid` longer than `CROUPIER_AGGREGATOR_ANSWER_RETENTION_DAYS` are forgotten
(`ForgetOldAnswers`, the use case of `croupier aggregator forget-answers`; docs/aggregators.md,
"Repeated requests"). No leader lock: several processes may run it at once, since each
deletes a short batch of the oldest rows and a row deleted by one is skipped by the other;
forgetting moves no money (the wallet is idempotent on the transaction ids, never forgotten)."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.aggregators import ForgetOldAnswers
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_aggregator_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if not settings.aggregator_forget_interval_s or "http" not in parts:
        return []
    days = settings.aggregator_answer_retention_days

    async def forget() -> None:
        async with container() as scope:
            deleted = await (await scope.get(ForgetOldAnswers))(days)
        if deleted:
            log.info("aggregators: forgot %d kept answer(s) older than %d days", deleted, days)

    # A first run at once: a process restarted more often than the interval still forgets.
    interval = settings.aggregator_forget_interval_s
    return [asyncio.create_task(every(interval, forget, stop, "aggregator answers", at_once=True))]
