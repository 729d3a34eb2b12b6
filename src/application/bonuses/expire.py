"""Expiring bonuses whose time ran out: the periodic job of `croupier run` and `croupier
bonuses expire`."""

from __future__ import annotations

from application.bonuses.ending import end_bonus, lock_bonus
from application.ledger_use_case import LedgerUseCase
from domain.bonuses import ForfeitReason

EXPIRE_PAGE = 200


class ExpireBonuses(LedgerUseCase):
    """Forfeit (`bonus_forfeit`, reason `expired`) every active bonus whose expiry has come,
    each in a unit of work of its own under its row lock: one that a claim or a give-up ended
    meanwhile is left as it is. Returns how many this call expired."""

    async def __call__(self) -> int:
        expired = 0
        while True:
            async with self._uow() as uow:
                due = await uow.bonuses.due_to_expire(self._clock.now(), limit=EXPIRE_PAGE)
            for bonus_id in due:
                async with self._uow() as uow:
                    bonus = await lock_bonus(uow, bonus_id, None)
                    now = self._clock.now()
                    if not bonus.active:
                        continue
                    await end_bonus(
                        uow,
                        self._ids,
                        bonus,
                        ForfeitReason.EXPIRED,
                        now=now,
                        shards=self._house.shards,
                    )
                    await uow.commit()
                    expired += 1
            if len(due) < EXPIRE_PAGE:
                return expired
