"""What the VIP screens show: the level, the progress to the next, what can be claimed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.ports.clock_ids import Clock
from application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from application.promotions.paying import require_promotable
from application.vip.level import progress_of
from domain.money import Currency, CurrencyRegistry, Money
from domain.posting_keys import promotion_key
from domain.promotions import Programme
from domain.rakeback import (
    DailyBonusPolicy,
    RakebackPolicy,
    Turnover,
    daily_bonus_key,
    next_daily_bonus,
)
from domain.vip import Progress


@dataclass(frozen=True, slots=True)
class VipStatus:
    progress: Progress
    window_days: int
    claimable: tuple[Money, ...]  # per rakeback currency, zero included
    daily_bonus: Money
    daily_taken: bool
    next_daily_at: datetime


class GetVipStatus:
    """The player's VIP status. A player the standing refuses `PROMOTION` is refused (the
    standing's error): no level, no rakeback, no bonus is shown to them."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        rakeback: RakebackPolicy,
        daily: DailyBonusPolicy,
        currencies: CurrencyRegistry,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._rakeback = rakeback
        self._daily = daily
        self._currencies = currencies

    async def __call__(self, player_id: int) -> VipStatus:
        now = self._clock.now()
        async with self._uow() as uow:
            await require_promotable(uow, player_id, now)
            progress = await progress_of(uow, self._rakeback.ladder, player_id, now)
            claimable = tuple(
                [
                    await self._claimable(uow, player_id, currency, progress, now)
                    for currency in self._currencies
                    if self._rakeback.pays_in(currency)
                ]
            )
            key = promotion_key(Programme.DAILY.value, daily_bonus_key(player_id, now.date()))
            taken = await uow.ledger.has_key(key)
        return VipStatus(
            progress=progress,
            window_days=self._rakeback.ladder.window.days,
            claimable=claimable,
            daily_bonus=self._daily.amount,
            daily_taken=taken,
            next_daily_at=next_daily_bonus(now),
        )

    async def _claimable(
        self,
        uow: UnitOfWork,
        player_id: int,
        currency: Currency,
        progress: Progress,
        now: datetime,
    ) -> Money:
        # What ClaimRakeback would pay now, read the same way (without its lock).
        previous = await uow.vip.last_claim(player_id, currency)
        period = self._rakeback.period(previous, now)
        if period.is_empty:
            return Turnover.none(currency).rakeback(progress.level.share)
        turnover = await uow.vip.turnover(player_id, currency, period.since, period.until)
        return turnover.rakeback(progress.level.share)
