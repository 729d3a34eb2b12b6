"""The referral programme's budget in a currency (`referral-<currency>`): every commission
spends from it, so the operator decides up front how much referrals may cost."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory
from domain.errors import NotFound
from domain.money import Money
from domain.promotions import PromotionBudget
from domain.referrals import budget_code


class SetReferralBudget:
    """Open the currency's referral budget with `total`, or raise its total to `total` (a
    total never falls below what was spent: the budgets' own rule)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, total: Money) -> PromotionBudget:
        code = budget_code(total.currency.code)
        async with self._uow() as uow:
            try:
                await uow.budgets.get(code)
            except NotFound:
                budget = await uow.budgets.open(code, total)
            else:
                budget = await uow.budgets.raise_total(code, total)
            await uow.commit()
        return budget
