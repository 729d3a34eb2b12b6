"""In-memory promotion budgets (the adapter's rules: spend never passes the total, what was
spent stays spent, a total only grows) and the raises of a total."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.budget_raises import BudgetRaise, RaiseState
from domain.errors import IllegalTransition, NotFound
from domain.money import Currency, Money
from domain.promotions import PromotionBudget, validate_budget_code

if TYPE_CHECKING:
    from tests.fakes import _State


class FakePromotionBudgets:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def open(self, code: str, total: Money) -> PromotionBudget:
        validate_budget_code(code)
        if code not in self.s.budgets:
            self.s.budgets[code] = PromotionBudget(code, total, Money(0, total.currency))
        return self.s.budgets[code]

    async def get(self, code: str) -> PromotionBudget:
        if code not in self.s.budgets:
            raise NotFound(f"no promotion budget {code!r}")
        return self.s.budgets[code]

    async def spend(self, code: str, amount: Money) -> PromotionBudget:
        spent = (await self.get(code)).spend(amount)
        self.s.budgets[code] = spent
        return spent

    async def raise_total(self, code: str, increase: Money) -> PromotionBudget:
        increase.require_positive()
        budget = await self.get(code)
        if increase.currency != budget.currency:
            raise IllegalTransition(f"budget {code!r} is in {budget.currency.code}")
        self.s.budgets[code] = replace(budget, total=budget.total + increase)
        return self.s.budgets[code]

    async def all(self) -> Sequence[PromotionBudget]:
        return [self.s.budgets[c] for c in sorted(self.s.budgets)]

    async def add_raise(self, raised: BudgetRaise) -> BudgetRaise:
        await self.get(raised.budget)  # the table's foreign key
        return self.s.budget_raises.setdefault(raised.id, raised)

    async def get_raise(self, raise_id: uuid.UUID, *, for_update: bool = False) -> BudgetRaise:
        if raise_id not in self.s.budget_raises:
            raise NotFound(f"no budget raise {raise_id}")
        return self.s.budget_raises[raise_id]

    async def decide_raise(self, decided: BudgetRaise) -> None:
        if (await self.get_raise(decided.id)).state is not RaiseState.AWAITING_APPROVAL:
            raise IllegalTransition(f"the raise {decided.id} was decided meanwhile")
        self.s.budget_raises[decided.id] = decided

    async def raised_since(self, requested_by: str, currency: Currency, since: datetime) -> int:
        return sum(
            r.increase.amount
            for r in self.s.budget_raises.values()
            if r.requested_by == requested_by
            and r.currency == currency
            and r.requested_at >= since
            and r.state is not RaiseState.REJECTED
        )

    async def raises(self, state: RaiseState | None, limit: int) -> Sequence[BudgetRaise]:
        found = [r for r in self.s.budget_raises.values() if state in (None, r.state)]
        found.sort(key=lambda r: (r.requested_at, r.id), reverse=True)
        return found[:limit]
