"""The daily play-money bonus: once a UTC day, a fixed amount of FUN into the player's FUN
wallet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.promotions.paying import pay_promotion, require_promotable
from application.vip.paying import Paying
from domain.money import Money
from domain.posting_keys import promotion_key
from domain.promotions import Programme
from domain.rakeback import (
    DAILY_BONUS_BUDGET,
    DailyBonusPolicy,
    daily_bonus_key,
    next_daily_bonus,
)


@dataclass(frozen=True, slots=True)
class DailyBonusResult:
    """`paid` is what this call paid, None when today's bonus was already taken; `next_at` is
    when the next one may be taken (the next UTC midnight)."""

    paid: Money | None
    next_at: datetime


class ClaimDailyBonus(Paying[DailyBonusPolicy]):
    """Pays the day's bonus through `pay_promotion` (standing, the `daily-fun` budget created
    from the policy on first use, the ledger) under the key player + UTC date: a second claim
    the same day, concurrent or not, is a replay of the ledger's key and pays nothing. A
    player the standing refuses `PROMOTION` gets nothing (the standing's refusal)."""

    async def __call__(self, player_id: int) -> DailyBonusResult:
        now = self._clock.now()
        key = daily_bonus_key(player_id, now.date())
        taken = DailyBonusResult(None, next_daily_bonus(now))
        async with self._uow() as uow:
            await require_promotable(uow, player_id, now)
            # Asked first: if the amount setting changed since this morning, a second claim
            # would be the same key with other content (a conflict), not a replay.
            if await uow.ledger.has_key(promotion_key(Programme.DAILY.value, key)):
                return taken
            await uow.budgets.open(DAILY_BONUS_BUDGET, self._policy.budget_total)
            posted = await pay_promotion(
                uow,
                self._ids,
                player_id=player_id,
                amount=self._policy.amount,
                programme=Programme.DAILY,
                budget=DAILY_BONUS_BUDGET,
                key=key,
                now=now,
                shards=self._house.shards,
            )
            if posted.replayed:  # a concurrent claim committed first
                return taken
            await uow.commit()
        return DailyBonusResult(self._policy.amount, taken.next_at)
