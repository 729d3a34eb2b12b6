"""Converting a bonus whose wagering is met: the player's claim, and the periodic sweep."""

from __future__ import annotations

import uuid

from application.bonuses.ending import end_bonus, lock_bonus
from application.ledger_use_case import LedgerUseCase
from application.promotions.paying import require_promotable
from domain.bonuses import (
    Bonus,
    BonusState,
    ForfeitReason,
    IllegalBonusTransition,
    WageringIncomplete,
)
from domain.errors import IllegalTransition
from domain.responsible.refusal import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal

SWEEP_PAGE = 200


class ConvertBonus(LedgerUseCase):
    """Convert a bonus into cash once its wagering is met, in one `bonus_conversion` of the
    whole bonus. Idempotent: a converted bonus is returned as it is. A bonus whose time ran
    out is expired instead (its money goes back to promotions, once) and returned expired; a
    forfeited one is an `IllegalBonusTransition`; one short of its wagering is
    `WageringIncomplete` (nothing moves). The player must be one the standing allows
    promotions. `player_id` None: the sweep's call, for any player."""

    async def __call__(self, bonus_id: uuid.UUID, *, player_id: int | None = None) -> Bonus:
        async with self._uow() as uow:
            bonus = await lock_bonus(uow, bonus_id, player_id)
            now = self._clock.now()
            if bonus.state is BonusState.CONVERTED:
                return bonus
            if not bonus.active:
                raise IllegalBonusTransition(bonus.id, bonus.state, BonusState.CONVERTED)
            if bonus.expired_at(now):
                reason: ForfeitReason | None = ForfeitReason.EXPIRED
            else:
                await require_promotable(uow, bonus.player_id, now)
                reason = None
            ended = await end_bonus(
                uow, self._ids, bonus, reason, now=now, shards=self._house.shards
            )
            await uow.commit()
        return ended

    async def sweep(self) -> int:
        """Convert every active bonus whose wagering is met (those not met, or of a player the
        standing refuses promotions now, wait for the next sweep); the number converted."""
        converted = 0
        after: uuid.UUID | None = None
        while True:
            async with self._uow() as uow:
                page = await uow.bonuses.active_ids(after=after, limit=SWEEP_PAGE)
            for bonus_id in page:
                try:
                    ended = await self(bonus_id)
                except (
                    WageringIncomplete,
                    StandingRefusal,
                    ResponsibleGamblingRefusal,
                    IllegalTransition,
                ):
                    continue
                converted += ended.state is BonusState.CONVERTED
            if len(page) < SWEEP_PAGE:
                return converted
            after = page[-1]
