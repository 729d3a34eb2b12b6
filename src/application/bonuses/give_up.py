"""The player gives up their bonus: it goes back to the promotions account."""

from __future__ import annotations

import uuid

from application.bonuses.ending import end_bonus, lock_bonus
from application.ledger_use_case import LedgerUseCase
from domain.bonuses import Bonus, BonusState, ForfeitReason


class ForfeitBonus(LedgerUseCase):
    """The player's request: their active bonus is forfeited (`bonus_forfeit`, reason
    `given_up`), whatever its progress. Idempotent: a forfeited bonus is returned as it is;
    one whose time ran out is expired instead and returned expired; a converted one is an
    `IllegalBonusTransition`. Giving money up is always allowed: the standing is not asked."""

    async def __call__(self, player_id: int, bonus_id: uuid.UUID) -> Bonus:
        async with self._uow() as uow:
            bonus = await lock_bonus(uow, bonus_id, player_id)
            now = self._clock.now()
            if bonus.state in (BonusState.FORFEITED, BonusState.EXPIRED):
                return bonus
            reason = ForfeitReason.EXPIRED if bonus.expired_at(now) else ForfeitReason.GIVEN_UP
            ended = await end_bonus(
                uow, self._ids, bonus, reason, now=now, shards=self._house.shards
            )
            await uow.commit()
        return ended
