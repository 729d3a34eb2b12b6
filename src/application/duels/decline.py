"""The challenged player declines: the duel ends and the challenger's stake comes back."""

from __future__ import annotations

import uuid

from application.duels.settle import DuelSettlement
from domain.duels import Duel


class DeclineDuel(DuelSettlement):
    async def __call__(self, duel_id: uuid.UUID, telegram_user_id: int) -> Duel:
        now = self._clock.now()
        async with self._uow() as uow:
            player = await self._player_of(uow, telegram_user_id)
            current = await self._locked(uow, duel_id)
            declined = current.decline(player, now)
            await self.close(uow, declined, current.state, now)
            await uow.commit()
            return declined
