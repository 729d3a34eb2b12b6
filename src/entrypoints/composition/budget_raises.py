"""Raising promotion budgets: the staff's raises and decisions (admin API) and the referral
budget's console command, on one road under the campaigns' four-eyes rule."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.ports import Clock, UnitOfWorkFactory
from application.promotions.raise_budget import DecideBudgetRaise, ListBudgetRaises, RaiseBudget
from application.referrals import SetReferralBudget
from entrypoints.settings import Settings


class BudgetRaisesProvider(Provider):
    scope = Scope.REQUEST

    @provide
    def raise_budget(self, uow: UnitOfWorkFactory, clock: Clock, settings: Settings) -> RaiseBudget:
        return RaiseBudget(uow, clock, settings.campaign_four_eyes_policy)

    decide_budget_raise = provide(DecideBudgetRaise)
    list_budget_raises = provide(ListBudgetRaises)
    set_referral_budget = provide(SetReferralBudget)
