"""VIP levels, rakeback and the daily play-money bonus: the policies from the settings (with
the currencies the database knows), the player's use cases."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus
from domain.money import CurrencyRegistry
from domain.rakeback import DailyBonusPolicy, RakebackPolicy
from entrypoints.settings import Settings


class VipProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def rakeback_policy(self, settings: Settings, currencies: CurrencyRegistry) -> RakebackPolicy:
        return settings.rakeback_policy(currencies)

    @provide(scope=Scope.APP)
    def daily_bonus_policy(
        self, settings: Settings, currencies: CurrencyRegistry
    ) -> DailyBonusPolicy:
        return settings.daily_bonus_policy(currencies.get("FUN"))

    get_vip_status = provide(GetVipStatus)
    claim_rakeback = provide(ClaimRakeback)
    claim_daily_bonus = provide(ClaimDailyBonus)
