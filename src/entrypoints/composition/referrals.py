"""Referrals: the policy from the settings (one per process), the commission job and the
referrer's statistics (one per request)."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.referrals import GetReferralStats, PayReferralCommissions
from application.risk import RiskReview
from domain.money import CurrencyRegistry
from domain.referrals import ReferralPolicy
from entrypoints.settings import Settings


class ReferralsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def referral_policy(self, settings: Settings) -> ReferralPolicy:
        return settings.referral_policy()

    @provide
    def pay_referral_commissions(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        policy: ReferralPolicy,
        currencies: CurrencyRegistry,
        risk: RiskReview,
        settings: Settings,
    ) -> PayReferralCommissions:
        return PayReferralCommissions(
            uow, clock, ids, policy, currencies, risk, settings.house_shards
        )

    get_referral_stats = provide(GetReferralStats)
