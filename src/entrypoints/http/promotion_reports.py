"""Admin API, promotions: what they cost per period and currency beside GGR and NGR, per
budget, and the budgets themselves (docs/bonuses.md, "Reports").

The reports take the regulatory reports' parameters (`from`, `to`, `currency`, `format=csv`)
and `period` (day, the default, week or month); any staff role may read them. The budgets'
list (code, total, spent, left) is for operators. Amounts are integers in minor units."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import QueryParameter

from application.promotion_budgets import ListPromotionBudgets
from application.promotion_reports import (
    PeriodicReport,
    PromotionBudgetReport,
    PromotionCostReport,
    PromotionReportQuery,
)
from application.reports import Report
from domain.promotion_reports import BudgetRow, PromotionRow
from domain.promotions import PromotionBudget
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, requires
from entrypoints.http.reports import (
    Asked,
    Currency,
    Format,
    ReportHeadWire,
    ReportRoute,
    Since,
    Until,
)

OPERATOR = requires(Role.OPERATOR)


class PromotionRowWire(msgspec.Struct):
    period_start: date
    period_end: date  # exclusive
    currency: str
    bets: int
    stakes: int
    wins: int
    ggr: int  # stakes - wins
    granted: int  # bonus into bonus accounts (no cost until it converts)
    converted: int  # bonus become cash
    forfeited: int  # bonus taken back
    paid_rakeback: int
    paid_referral: int
    paid_daily: int
    paid_other: int
    paid: int  # promotion cash into wallets, every programme
    bonus_cost: int  # converted + paid
    ngr: int  # ggr - bonus_cost


class BudgetRowWire(msgspec.Struct):
    period_start: date
    period_end: date
    currency: str
    budget: str
    granted: int
    converted: int
    forfeited: int
    paid: int
    cost: int  # converted + paid


class PromotionReportWire(ReportHeadWire):
    period: str  # day, week or month
    rows: list[PromotionRowWire]


class BudgetReportWire(ReportHeadWire):
    period: str
    rows: list[BudgetRowWire]


def promotion_wire(row: PromotionRow) -> PromotionRowWire:
    return PromotionRowWire(
        row.since,
        row.until,
        row.currency,
        row.bets,
        row.stakes,
        row.wins,
        row.ggr,
        row.granted,
        row.converted,
        row.forfeited,
        row.paid_rakeback,
        row.paid_referral,
        row.paid_daily,
        row.paid_other,
        row.paid,
        row.bonus_cost,
        row.ngr,
    )


def budget_wire(row: BudgetRow) -> BudgetRowWire:
    return BudgetRowWire(
        row.since,
        row.until,
        row.currency,
        row.budget,
        row.granted,
        row.converted,
        row.forfeited,
        row.paid,
        row.cost,
    )


Grouping = Annotated[
    str | None,
    QueryParameter(name="period", description="day (default), week (ISO, Monday) or month"),
]


def ask_grouped(
    since: Since = None,
    until: Until = None,
    currency: Currency = None,
    grouping: Grouping = None,
    fmt: Format = None,
) -> Asked:
    return Asked(PromotionReportQuery(since, until, currency, None, grouping), fmt)


def _grouping(made: Report[Any]) -> str:
    # The use cases answer a PeriodicReport; ReportRoute knows only the Report it extends.
    assert isinstance(made, PeriodicReport)  # nosec B101 - a programming error, not input
    return made.granularity.value


def promotion_envelope(
    _: object, made: Report[PromotionRow], rows: list[PromotionRowWire]
) -> PromotionReportWire:
    head = (made.generated_at, made.period.since, made.period.until, made.scope.currency)
    return PromotionReportWire(*head, _grouping(made), rows)


def budget_envelope(
    _: object, made: Report[BudgetRow], rows: list[BudgetRowWire]
) -> BudgetReportWire:
    head = (made.generated_at, made.period.since, made.period.until, made.scope.currency)
    return BudgetReportWire(*head, _grouping(made), rows)


PROMOTIONS = ReportRoute(
    "promotions",
    "Promotion cost, GGR and NGR per period and currency",
    "Per day, week or month (`period`) and currency, zeros included: GGR (stakes - wins of "
    "the bets settled), bonus granted, converted and forfeited, promotion cash paid by "
    "programme, bonus_cost = converted + paid, and ngr = ggr - bonus_cost. Play money (FUN) "
    "only with `currency=FUN`.",
    PromotionCostReport,
    PromotionReportWire,
    promotion_wire,
    promotion_envelope,
    PromotionRowWire,
    ask=ask_grouped,
)
BUDGETS = ReportRoute(
    "budgets",
    "Promotion postings per period and budget",
    "Per day, week or month (`period`) and budget (a campaign's code, or a programme's), "
    "only where something moved: granted, converted, forfeited, paid, and cost = converted "
    "+ paid. Play money (FUN) only with `currency=FUN`.",
    PromotionBudgetReport,
    BudgetReportWire,
    budget_wire,
    budget_envelope,
    BudgetRowWire,
    ask=ask_grouped,
)


class PromotionReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY

    promotions = PROMOTIONS.handler()
    budgets = BUDGETS.handler()


class BudgetWire(msgspec.Struct):
    code: str
    currency: str
    total: int  # minor units
    spent: int  # granted against it so far
    left: int  # total - spent


class BudgetListWire(msgspec.Struct):
    budgets: list[BudgetWire]


def budgets_wire(budgets: Sequence[PromotionBudget]) -> BudgetListWire:
    return BudgetListWire(
        [
            BudgetWire(b.code, b.currency.code, b.total.amount, b.spent.amount, b.remaining.amount)
            for b in budgets
        ]
    )


class PromotionBudgetsController(Controller):
    path = "/api/v1/promotion-budgets"
    tags = ["promotions"]  # noqa: RUF012
    security = SECURITY

    @get("/", guards=[OPERATOR], summary="Promotion budgets: total, spent and left, by code")
    @inject
    async def list_budgets(
        self, listing: FromDishka[ListPromotionBudgets], currency: Currency = None
    ) -> BudgetListWire:
        return budgets_wire(await listing(currency))
