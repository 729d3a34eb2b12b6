"""Regulatory reports for staff: gross gaming revenue per day, game and currency; actual
against theoretical RTP per game and currency, with a drift flag; deposits, withdrawals and
active players per day and currency.

A report covers whole UTC days, `from` (inclusive) to `to` (exclusive), at most a year; by
default the last seven days up to and including today. It has a row for every day, game and
currency in scope even when nothing happened (zeros), reads one consistent snapshot, and
says when it was generated. Reading a report changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Generic, TypeVar

from application.ports import Clock

# Moved to application.ports (a port and its values); named here too, for the modules that
# still import them from here.
from application.ports import ReportReadModel as ReportReadModel
from application.ports import RtpData as RtpData
from domain.errors import InvalidField, UnknownCurrency
from domain.games.catalog import GAMES
from domain.money import CurrencyRegistry
from domain.outcome_tests import OutcomeTest, check_outcomes, outcome_counting
from domain.reports import (
    DEFAULT_REPORT_DAYS,
    MAX_REPORT_DAYS,
    CashflowRow,
    GgrRow,
    ReportPeriod,
    ReportScope,
    RtpRow,
    rtp_rows,
)
from domain.risk import RiskPolicy

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """A report request as it arrives: dates as ISO text (`YYYY-MM-DD`), filters as typed;
    the use case validates each field and names the one that is wrong."""

    since: str | None = None  # wire name `from`
    until: str | None = None  # wire name `to`
    currency: str | None = None
    game: str | None = None


@dataclass(frozen=True, slots=True)
class Report(Generic[Row]):
    generated_at: datetime
    period: ReportPeriod
    scope: ReportScope
    rows: tuple[Row, ...]


def _parse_day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidField(field, f"'{field}' must be a date like 2024-01-31") from None


def report_period(since: str | None, until: str | None, today: date) -> ReportPeriod:
    """The period asked for, in whole UTC days. `to` defaults to tomorrow (so that today is
    included), `from` to seven days before `to`; `from` must come before `to`, and a report
    covers at most MAX_REPORT_DAYS days."""
    end = _parse_day("to", until) if until else today + timedelta(days=1)
    try:
        start = _parse_day("from", since) if since else end - timedelta(days=DEFAULT_REPORT_DAYS)
    except OverflowError:
        raise InvalidField("to", "'to' is too early for a default 'from'; give both") from None
    if start >= end:
        raise InvalidField("to", "'to' must be later than 'from' (it is exclusive)")
    if (end - start).days > MAX_REPORT_DAYS:
        # Name the field the caller chose: the other one may have been defaulted.
        field = "to" if until else "from"
        raise InvalidField(field, f"a report covers at most {MAX_REPORT_DAYS} days")
    return ReportPeriod(start, end)


def scope_currency(currencies: CurrencyRegistry, value: str | None) -> str | None:
    """The code of the currency a report is narrowed to (any case, spaces around), or None
    for every currency; an unknown one is the `currency` field's error."""
    if not value or not value.strip():
        return None
    try:
        return currencies.get(value.strip().upper()).code
    except UnknownCurrency as error:
        raise InvalidField("currency", error.message) from None


class _Reporter:
    def __init__(self, reports: ReportReadModel, currencies: CurrencyRegistry, clock: Clock):
        self._reports = reports
        self._currencies = currencies
        self._clock = clock

    def _scope(self, query: ReportQuery) -> ReportScope:
        currency = scope_currency(self._currencies, query.currency)
        game = None
        if query.game and query.game.strip():
            game = query.game.strip().lower()
            if game not in GAMES:
                raise InvalidField("game", f"games are {', '.join(sorted(GAMES))}")
        return ReportScope(currency, game)

    def _request(self, query: ReportQuery) -> tuple[datetime, ReportPeriod, ReportScope]:
        now = self._clock.now().astimezone(UTC)
        return now, report_period(query.since, query.until, now.date()), self._scope(query)


class GgrReport(_Reporter):
    """Gross gaming revenue (stakes − wins) per UTC day, game and currency, over the bets
    settled in the period; every day × game × currency in scope has a row."""

    async def __call__(self, query: ReportQuery) -> Report[GgrRow]:
        now, period, scope = self._request(query)
        rows = await self._reports.gross_gaming_revenue(period, scope)
        return Report(now, period, scope, tuple(rows))


class RtpReport(_Reporter):
    """Actual RTP (wins / stakes) against the exact theoretical RTP of the bets made, per game
    and currency over the period, with a drift flag (see `domain.reports.rtp_rows`)."""

    async def __call__(self, query: ReportQuery) -> Report[RtpRow]:
        now, period, scope = self._request(query)
        data = await self._reports.rtp_data(period, scope)
        return Report(now, period, scope, tuple(rtp_rows(data.cells, data.groups)))


class CashflowReport(_Reporter):
    """Deposits, withdrawals and active players per UTC day and currency; every day ×
    currency in scope has a row. A game filter does not apply to it."""

    async def __call__(self, query: ReportQuery) -> Report[CashflowRow]:
        now, period, scope = self._request(query)
        scope = ReportScope(scope.currency, None)
        rows = await self._reports.cashflow(period, scope)
        return Report(now, period, scope, tuple(rows))


async def outcome_tests(
    reports: ReportReadModel, period: ReportPeriod, scope: ReportScope, alpha: float
) -> list[OutcomeTest]:
    """Every game in scope, even one without bets: its stored outcomes counted in the
    game's bins and tested against theory (see `domain.outcome_tests.check_outcomes`; how
    each game is counted is `outcome_counting`)."""
    games = [scope.game] if scope.game else sorted(GAMES)
    counting = {game: outcome_counting(game) for game in games}
    # A game without bins (one played in steps whose outcome is where the player stopped)
    # is listed untested rather than counted.
    edges = {game: list(c.edges) for game, c in counting.items() if c.edges}
    moduli = {game: c.modulus for game, c in counting.items() if c.modulus is not None}
    counts = await reports.outcome_counts(period, scope, edges, moduli)
    return [
        counting[game].check(game, counts[game], alpha)
        if game in edges
        else check_outcomes(game, [], alpha)
        for game in games
    ]


class OutcomeReport(_Reporter):
    """Per game over the period: observed against expected outcome counts (bins merged so
    each expects at least 5), Pearson's chi-square, its degrees of freedom and p-value, and
    an alert when the p-value is below the configured alpha. Outcomes do not depend on the
    currency, so a currency filter only narrows the bets counted."""

    def __init__(
        self,
        reports: ReportReadModel,
        currencies: CurrencyRegistry,
        clock: Clock,
        policy: RiskPolicy,
    ) -> None:
        super().__init__(reports, currencies, clock)
        self._alpha = policy.outcome_alpha

    @property
    def alpha(self) -> float:
        return self._alpha

    async def __call__(self, query: ReportQuery) -> Report[OutcomeTest]:
        now, period, scope = self._request(query)
        rows = await outcome_tests(self._reports, period, scope, self._alpha)
        return Report(now, period, scope, tuple(rows))
