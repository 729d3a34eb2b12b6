"""The challenged player accepts: both players' standing and limits are checked again (a
block, a break or a limit set since the challenge refuses), then their stake goes into
escrow and the duel waits for its dice. Two accepts at once, or a double tap, are decided one
after the other under the duel's lock: the second finds it accepted and is refused, and the
stake's key (`duel:<id>:stake:challenged`) could not move money twice anyway."""

from __future__ import annotations

import uuid

from application.duels.books import RuledDuelBooks
from domain.duels import Duel, Seat
from domain.errors import NotFound


class AcceptDuel(RuledDuelBooks):
    async def __call__(self, duel_id: uuid.UUID, telegram_user_id: int) -> Duel:
        now = self._clock.now()
        async with self._uow() as uow:
            player = await self._player_of(uow, telegram_user_id)
            seen = await uow.duels.find(duel_id)
            if seen is None:
                raise NotFound(f"no duel {duel_id}")
            # The guard's locks first, then the duel's, then the ledger's: always this order.
            seen.accept(player, now, self._rules.roll_window)  # refuses a stranger early
            await self._check_players(
                uow, seen.players, actor=player, staking=player, stake=seen.stake, now=now
            )
            duel = (await self._locked(uow, duel_id)).accept(player, now, self._rules.roll_window)
            await uow.duels.save(duel)
            await self._stake(uow, duel, Seat.CHALLENGED, now)
            await uow.commit()
            return duel
