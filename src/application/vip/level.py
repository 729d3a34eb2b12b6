"""A player's level now: their settled volume in the ladder's currency over the window."""

from __future__ import annotations

from datetime import datetime

from application.ports.unit_of_work import UnitOfWork
from domain.vip import Progress, VipLadder


async def progress_of(
    uow: UnitOfWork, ladder: VipLadder, player_id: int, now: datetime
) -> Progress:
    volume = await uow.vip.turnover(player_id, ladder.currency, now - ladder.window, now)
    return ladder.progress(volume.wagered)
