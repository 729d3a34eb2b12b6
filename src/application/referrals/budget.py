"""The referral programme's budget in a currency (`referral-<currency>`): every commission
spends from it, so the operator decides up front how much referrals may cost."""

from __future__ import annotations

import uuid

from application.ports import UnitOfWorkFactory
from application.promotions.raise_budget import RaiseBudget, RaisedBudget
from application.staff import Actor
from domain.errors import IllegalTransition, NotFound
from domain.money import Money
from domain.referrals import budget_code


class SetReferralBudget:
    """Open the currency's referral budget with `total`, or raise its total to `total`
    through `RaiseBudget`, the one road of a raise (four eyes, audit): the console's raise is
    counted as the operator's (`cli`), and one above the four-eyes threshold waits for a
    staff member's approval. A total never falls (`IllegalTransition`); the same total
    changes nothing. Returns the budget, and the raise when there was one."""

    def __init__(self, uow: UnitOfWorkFactory, raise_budget: RaiseBudget) -> None:
        self._uow = uow
        self._raise = raise_budget

    async def __call__(self, total: Money) -> RaisedBudget:
        code = budget_code(total.currency.code)
        async with self._uow() as uow:
            try:
                budget = await uow.budgets.get(code)
            except NotFound:
                budget = await uow.budgets.open(code, total)
                await uow.commit()
                return RaisedBudget(None, budget)
        if total < budget.total:
            raise IllegalTransition(
                f"budget {code!r} holds {budget.total}: a new total must be at least that"
            )
        if total == budget.total:
            return RaisedBudget(None, budget)
        return await self._raise(code, total - budget.total, Actor("cli"), uuid.uuid4())
