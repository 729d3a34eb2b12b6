"""Promotion budgets in PostgreSQL: a grant's spend is one conditional UPDATE, so two grants
racing for the last of a budget cannot both pass it (and `spent <= total` is a check too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import IllegalTransition, NotFound
from domain.money import CurrencyRegistry, Money
from domain.promotions import PromotionBudget, validate_budget_code

_COLUMNS = "code, currency, total, spent"
_OPEN = text(
    "INSERT INTO promotion_budgets (code, currency, total) VALUES (:code, :currency, :total)"
    " ON CONFLICT (code) DO NOTHING"
)
_GET = text(f"SELECT {_COLUMNS} FROM promotion_budgets WHERE code = :code")  # noqa: S608 - a constant column list  # nosec B608
_ALL = text(f"SELECT {_COLUMNS} FROM promotion_budgets ORDER BY code")  # noqa: S608 - a constant column list  # nosec B608
_SPEND = text(
    "UPDATE promotion_budgets SET spent = spent + :amount"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE code = :code AND currency = :currency AND spent + :amount <= total"
    f" RETURNING {_COLUMNS}"
)
_RAISE = text(
    "UPDATE promotion_budgets SET total = :total"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE code = :code AND currency = :currency AND :total >= total"
    f" RETURNING {_COLUMNS}"
)


class SqlPromotionBudgets:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    def _budget(self, row: Any) -> PromotionBudget:
        currency = self._currencies.get(row.currency)
        return PromotionBudget(row.code, Money(row.total, currency), Money(row.spent, currency))

    async def open(self, code: str, total: Money) -> PromotionBudget:
        validate_budget_code(code)
        params = {"code": code, "currency": total.currency.code, "total": total.amount}
        await self._conn.execute(_OPEN, params)
        return await self.get(code)

    async def get(self, code: str) -> PromotionBudget:
        row = (await self._conn.execute(_GET, {"code": code})).first()
        if row is None:
            raise NotFound(f"no promotion budget {code!r}")
        return self._budget(row)

    async def spend(self, code: str, amount: Money) -> PromotionBudget:
        params = {"code": code, "currency": amount.currency.code, "amount": amount.amount}
        row = (await self._conn.execute(_SPEND, params)).first()
        if row is not None:
            return self._budget(row)
        # Refused: say why with the domain's own words (exhausted, or the wrong currency).
        budget = await self.get(code)
        budget.spend(amount)
        raise IllegalTransition(f"budget {code!r} could not spend {amount}")

    async def raise_total(self, code: str, total: Money) -> PromotionBudget:
        params = {"code": code, "currency": total.currency.code, "total": total.amount}
        row = (await self._conn.execute(_RAISE, params)).first()
        if row is None:
            budget = await self.get(code)
            raise IllegalTransition(
                f"budget {code!r} holds {budget.total}: a new total must be at least that, in"
                f" {budget.currency.code}"
            )
        return self._budget(row)

    async def all(self) -> Sequence[PromotionBudget]:
        return [self._budget(r) for r in await self._conn.execute(_ALL)]
