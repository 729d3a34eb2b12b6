"""The duels' periodic job that `croupier run` starts beside the parts that serve the bot
(`bot`, or `http` with its webhook): duels and lobbies not accepted (started) or not rolled in
time are refunded (docs/duels.md). Several processes may run it: each ends once, under its row
lock."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.duels import ExpireDuels, ExpireLobbies
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_duel_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if not settings.duel_expiry_interval_s or not parts & {"bot", "http"}:
        return []

    async def expire() -> None:
        async with container() as scope:
            ended = await (await scope.get(ExpireDuels))()
            lobbies = await (await scope.get(ExpireLobbies))()
        if ended or lobbies:
            log.info("duels: %d duels, %d lobbies expired or refunded", len(ended), len(lobbies))

    return [
        asyncio.create_task(every(settings.duel_expiry_interval_s, expire, stop, "duel expiry"))
    ]
