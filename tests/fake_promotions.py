"""In-memory promotion budgets (the adapter's rules: spend never passes the total, what was
spent stays spent, a total only grows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from domain.errors import IllegalTransition, NotFound
from domain.money import Money
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

    async def raise_total(self, code: str, total: Money) -> PromotionBudget:
        budget = await self.get(code)
        if total < budget.total:
            raise IllegalTransition(f"budget {code!r} holds {budget.total}")
        self.s.budgets[code] = replace(budget, total=total)
        return self.s.budgets[code]

    async def all(self) -> Sequence[PromotionBudget]:
        return [self.s.budgets[c] for c in sorted(self.s.budgets)]
