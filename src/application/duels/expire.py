"""The periodic job (`croupier run`): a duel not accepted in time expires, one not rolled in
time is refunded, and every stake it held goes back (docs/duels.md). Each duel is decided in
its own unit of work under its lock, so the job racing an accept or a roll, or two jobs at
once, end each duel once."""

from __future__ import annotations

import uuid

from application.duels.settle import DuelSettlement
from domain.duels import Duel

DEFAULT_EXPIRY_BATCH = 100


class ExpireDuels(DuelSettlement):
    async def __call__(self, limit: int = DEFAULT_EXPIRY_BATCH) -> list[Duel]:
        now = self._clock.now()
        async with self._uow() as uow:
            due = list(await uow.duels.overdue(now, limit))
        ended = []
        for duel_id in due:
            duel = await self._expire_one(duel_id)
            if duel is not None:
                ended.append(duel)
        return ended

    async def _expire_one(self, duel_id: uuid.UUID) -> Duel | None:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._locked(uow, duel_id)
            if not current.is_overdue(now):
                return None  # accepted, rolled or ended since it was listed
            ended = current.expire(now)
            await self.close(uow, ended, current.state, now)
            await uow.commit()
            return ended
