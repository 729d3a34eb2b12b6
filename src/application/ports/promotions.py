"""Promotion budgets: what bounds every grant (docs/bonuses.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.money import Money
from domain.promotions import PromotionBudget


class PromotionBudgets(Protocol):
    async def open(self, code: str, total: Money) -> PromotionBudget:
        """The budget `code`, created with `total` if missing (an existing one is returned
        as it is: its total changes only through `raise_total`)."""
        ...

    async def get(self, code: str) -> PromotionBudget:
        """The budget, or `NotFound`."""
        ...

    async def spend(self, code: str, amount: Money) -> PromotionBudget:
        """Spend `amount` from the budget in this unit of work, race-proof (concurrent spends
        never pass the total), or raise `BudgetExhausted` (nothing spent) or `NotFound`."""
        ...

    async def raise_total(self, code: str, total: Money) -> PromotionBudget:
        """Set a larger (or equal) total; what was spent stays spent."""
        ...

    async def all(self) -> Sequence[PromotionBudget]: ...
