"""Promotion budgets: what bounds every grant (docs/bonuses.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.budget_raises import BudgetRaise, RaiseState
from domain.money import Currency, Money
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

    async def raise_total(self, code: str, increase: Money) -> PromotionBudget:
        """Add `increase` to the total, atomically (two raises at once both count); what was
        spent stays spent. Only `application/promotions/raise_budget.py` calls it, the one
        road of a raise (four eyes, audit)."""
        ...

    async def all(self) -> Sequence[PromotionBudget]: ...

    # -- raises (docs/bonuses.md#raising-a-budget) --

    async def add_raise(self, raised: BudgetRaise) -> BudgetRaise:
        """Record a raise; a raise with its id already recorded is returned as it was."""
        ...

    async def get_raise(self, raise_id: uuid.UUID, *, for_update: bool = False) -> BudgetRaise:
        """The raise (under its row lock with `for_update`), or `NotFound`."""
        ...

    async def decide_raise(self, decided: BudgetRaise) -> None:
        """Save an approval or a rejection of a raise that was awaiting one
        (`IllegalTransition` if it was not)."""
        ...

    async def raised_since(self, requested_by: str, currency: Currency, since: datetime) -> int:
        """What the staff member's raises in the currency since `since` add, in minor units:
        applied and awaiting ones (a rejected raise added nothing)."""
        ...

    async def raises(self, state: RaiseState | None, limit: int) -> Sequence[BudgetRaise]:
        """The newest raises first, of one state or all."""
        ...
