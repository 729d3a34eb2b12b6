"""Promotion budgets in PostgreSQL: a grant's spend is one conditional UPDATE, so two grants
racing for the last of a budget cannot both pass it (and `spent <= total` is a check too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.budget_raises import BudgetRaise, RaiseState
from domain.errors import IllegalTransition, NotFound
from domain.money import Currency, CurrencyRegistry, Money
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
    "UPDATE promotion_budgets SET total = total + :increase"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE code = :code AND currency = :currency"
    f" RETURNING {_COLUMNS}"
)
_RAISE_COLUMNS = (
    "id, budget, currency, increase, requested_by, requested_at, state, decided_by,"
    " decided_at, total_after"
)
_ADD_RAISE = text(
    f"INSERT INTO promotion_budget_raises ({_RAISE_COLUMNS}) VALUES (:id, :budget, :currency,"  # noqa: S608 - a constant column list  # nosec B608
    " :increase, :requested_by, :requested_at, :state, :decided_by, :decided_at, :total_after)"
    " ON CONFLICT (id) DO NOTHING"
)
_GET_RAISE = f"SELECT {_RAISE_COLUMNS} FROM promotion_budget_raises WHERE id = :id"  # noqa: S608 - a constant column list  # nosec B608
_DECIDE_RAISE = text(
    "UPDATE promotion_budget_raises SET state = :state, decided_by = :decided_by,"
    " decided_at = :decided_at, total_after = :total_after"
    " WHERE id = :id AND state = 'awaiting_approval'"
)
_RAISED_SINCE = text(
    "SELECT COALESCE(SUM(increase), 0) FROM promotion_budget_raises"
    " WHERE requested_by = :by AND currency = :currency AND requested_at >= :since"
    " AND state <> 'rejected'"
)
_RAISES = text(
    f"SELECT {_RAISE_COLUMNS} FROM promotion_budget_raises"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE CAST(:state AS text) IS NULL OR state = :state"
    " ORDER BY requested_at DESC, id DESC LIMIT :limit"
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

    async def raise_total(self, code: str, increase: Money) -> PromotionBudget:
        increase.require_positive()
        params = {"code": code, "currency": increase.currency.code, "increase": increase.amount}
        row = (await self._conn.execute(_RAISE, params)).first()
        if row is None:
            budget = await self.get(code)  # NotFound, or the wrong currency:
            raise IllegalTransition(
                f"budget {code!r} is in {budget.currency.code}, not {increase.currency.code}"
            )
        return self._budget(row)

    async def all(self) -> Sequence[PromotionBudget]:
        return [self._budget(r) for r in await self._conn.execute(_ALL)]

    def _raise(self, row: Any) -> BudgetRaise:
        currency = self._currencies.get(row.currency)
        return BudgetRaise(
            id=row.id,
            budget=row.budget,
            increase=Money(row.increase, currency),
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            state=RaiseState(row.state),
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            total_after=None if row.total_after is None else Money(row.total_after, currency),
        )

    @staticmethod
    def _raise_params(raised: BudgetRaise) -> dict[str, object]:
        return {
            "id": raised.id,
            "budget": raised.budget,
            "currency": raised.currency.code,
            "increase": raised.increase.amount,
            "requested_by": raised.requested_by,
            "requested_at": raised.requested_at,
            "state": raised.state.value,
            "decided_by": raised.decided_by,
            "decided_at": raised.decided_at,
            "total_after": None if raised.total_after is None else raised.total_after.amount,
        }

    async def add_raise(self, raised: BudgetRaise) -> BudgetRaise:
        await self._conn.execute(_ADD_RAISE, self._raise_params(raised))
        return await self.get_raise(raised.id)

    async def get_raise(self, raise_id: uuid.UUID, *, for_update: bool = False) -> BudgetRaise:
        query = _GET_RAISE + (" FOR UPDATE" if for_update else "")
        row = (await self._conn.execute(text(query), {"id": raise_id})).first()
        if row is None:
            raise NotFound(f"no budget raise {raise_id}")
        return self._raise(row)

    async def decide_raise(self, decided: BudgetRaise) -> None:
        result = await self._conn.execute(_DECIDE_RAISE, self._raise_params(decided))
        if getattr(result, "rowcount", 0) != 1:
            raise IllegalTransition(f"the raise {decided.id} was decided meanwhile")

    async def raised_since(self, requested_by: str, currency: Currency, since: datetime) -> int:
        params = {"by": requested_by, "currency": currency.code, "since": since}
        return int((await self._conn.execute(_RAISED_SINCE, params)).scalar_one())

    async def raises(self, state: RaiseState | None, limit: int) -> Sequence[BudgetRaise]:
        params = {"state": None if state is None else state.value, "limit": limit}
        return [self._raise(r) for r in await self._conn.execute(_RAISES, params)]
