"""What promotions cost: bonus granted, converted and forfeited and promotion cash paid, per
period (day, week or month) and currency beside GGR and NGR, and per budget (a campaign's,
or a programme's). The rules are in `domain.promotion_reports`; the periods, filters and
formats are the regulatory reports' (`application.reports`): whole UTC days, `from`
inclusive, `to` exclusive, at most a year, by default the last seven days. Reading a report
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from application.ports import Clock, PromotionData, PromotionReportReads
from application.reports import Report, ReportQuery, report_period, scope_currency
from domain.errors import InvalidField
from domain.money import CurrencyRegistry
from domain.promotion_reports import (
    PLAY_MONEY,
    BudgetRow,
    Granularity,
    PromotionRow,
    budget_rows,
    promotion_rows,
)
from domain.reports import ReportPeriod, ReportScope

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class PromotionReportQuery(ReportQuery):
    """A report request with how its days are grouped (wire name `period`: day, the default,
    week or month). The game filter is not used."""

    granularity: str | None = None


@dataclass(frozen=True, slots=True)
class PeriodicReport(Report[Row]):
    """A report whose rows each cover a group of days."""

    granularity: Granularity = Granularity.DAY


def parse_granularity(value: str | None) -> Granularity:
    if not value or not value.strip():
        return Granularity.DAY
    try:
        return Granularity(value.strip().lower())
    except ValueError:
        raise InvalidField("period", "period is day, week or month") from None


@dataclass(frozen=True, slots=True)
class _Asked:
    now: datetime
    period: ReportPeriod
    scope: ReportScope
    granularity: Granularity
    data: PromotionData


class _PromotionReporter:
    def __init__(
        self, reads: PromotionReportReads, currencies: CurrencyRegistry, clock: Clock
    ) -> None:
        self._reads = reads
        self._currencies = currencies
        self._clock = clock

    async def _read(self, query: PromotionReportQuery) -> _Asked:
        now = self._clock.now().astimezone(UTC)
        period = report_period(query.since, query.until, now.date())
        scope = ReportScope(scope_currency(self._currencies, query.currency), None)
        granularity = parse_granularity(query.granularity)
        return _Asked(
            now, period, scope, granularity, await self._reads.promotion_data(period, scope)
        )

    def _currencies_in(self, scope: ReportScope) -> list[str]:
        """The currency asked for, or every accepted one but play money."""
        if scope.currency is not None:
            return [scope.currency]
        return sorted(c.code for c in self._currencies if c.code not in PLAY_MONEY)


class PromotionCostReport(_PromotionReporter):
    """Per group of days and currency (zeros included): GGR, bonus granted, converted and
    forfeited, promotion cash paid by programme, bonus cost (converted + paid) and NGR
    (GGR − bonus cost). Play money only when asked for by `currency=FUN`."""

    async def __call__(self, query: PromotionReportQuery) -> PeriodicReport[PromotionRow]:
        asked = await self._read(query)
        rows = promotion_rows(
            asked.period,
            asked.granularity,
            self._currencies_in(asked.scope),
            asked.data.revenue,
            asked.data.flows,
        )
        return PeriodicReport(asked.now, asked.period, asked.scope, tuple(rows), asked.granularity)


class PromotionBudgetReport(_PromotionReporter):
    """Per group of days and budget that moved anything: granted, converted, forfeited,
    paid, and cost (converted + paid). Play money only when asked for by `currency=FUN`."""

    async def __call__(self, query: PromotionReportQuery) -> PeriodicReport[BudgetRow]:
        asked = await self._read(query)
        wanted = set(self._currencies_in(asked.scope))
        flows = [f for f in asked.data.flows if f.currency in wanted]
        rows = budget_rows(asked.period, asked.granularity, flows)
        return PeriodicReport(asked.now, asked.period, asked.scope, tuple(rows), asked.granularity)
