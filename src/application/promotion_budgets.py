"""The staff's view of the promotion budgets: what each may give away, has given, and has
left (docs/bonuses.md, "Reports")."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import UnitOfWorkFactory
from application.reports import scope_currency
from domain.money import CurrencyRegistry
from domain.promotions import PromotionBudget


class ListPromotionBudgets:
    """Every budget, by code, optionally only those of one currency. Reads only."""

    def __init__(self, uow: UnitOfWorkFactory, currencies: CurrencyRegistry) -> None:
        self._uow = uow
        self._currencies = currencies

    async def __call__(self, currency: str | None = None) -> Sequence[PromotionBudget]:
        wanted = scope_currency(self._currencies, currency)
        async with self._uow() as uow:
            budgets = await uow.budgets.all()
        return [b for b in budgets if wanted is None or b.currency.code == wanted]
