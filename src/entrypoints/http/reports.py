"""Admin API, reports: gross gaming revenue, actual against theoretical RTP, and cash flow.

Any staff role may read them. Each takes `from` and `to` (ISO dates, UTC days, `to`
exclusive; by default the last seven days up to and including today), optional filters, and
`format=csv` for a file with a header row; JSON says when it was generated, CSV says it in
`X-Generated-At` and in the file name. Amounts are integers in minor units; ratios are
decimal text (8 decimals at most), never floats. Reading a report changes nothing."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from dishka import FromComponent
from dishka.integrations.litestar import inject
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import QueryParameter

from application.reports import (
    CashflowReport,
    GgrReport,
    OutcomeReport,
    Report,
    ReportQuery,
    RtpReport,
)
from domain.errors import InvalidField
from domain.outcome_tests import OutcomeTest
from domain.reports import CashflowRow, GgrRow, RtpRow
from entrypoints.http.auth import ANY_STAFF, SECURITY

RATIO_DECIMALS = 8
GENERATED_AT_HEADER = "X-Generated-At"

Row = TypeVar("Row")
RowWire = TypeVar("RowWire", bound=msgspec.Struct)


# -- wire types ------------------------------------------------------------------------------


class GgrRowWire(msgspec.Struct):
    day: date
    game: str
    currency: str
    bets: int
    stakes: int  # minor units
    wins: int  # payouts, minor units
    ggr: int  # stakes - wins


class RtpRowWire(msgspec.Struct):
    game: str
    currency: str
    bets: int
    stakes: int
    wins: int
    actual_rtp: str | None  # wins / stakes, decimal text; null without stakes
    theoretical_rtp: str | None  # stake-weighted exact RTP of the bets made
    drift: bool  # >= 1000 bets and actual more than 3 standard deviations from theory


class CashflowRowWire(msgspec.Struct):
    day: date
    currency: str
    deposits: int
    withdrawals: int
    active_players: int


class ReportHeadWire(msgspec.Struct):
    """The fields every report's envelope opens with (each adds its filters and rows)."""

    generated_at: datetime
    since: date = msgspec.field(name="from")
    until: date = msgspec.field(name="to")
    currency: str | None


class GgrReportWire(ReportHeadWire):
    game: str | None
    rows: list[GgrRowWire]


class RtpReportWire(ReportHeadWire):
    game: str | None
    rows: list[RtpRowWire]


class CashflowReportWire(ReportHeadWire):
    rows: list[CashflowRowWire]


class OutcomeBinWire(msgspec.Struct):
    bin: str  # an outcome, or a range of them merged so that each bin expects >= 5
    observed: int
    expected: float


class OutcomeRowWire(msgspec.Struct):
    game: str
    bets: int
    bins: list[OutcomeBinWire]
    chi2: float | None  # null when there is nothing to test (fewer than two bins)
    dof: int | None
    p_value: float | None
    alert: bool  # p_value below alpha


class OutcomeReportWire(ReportHeadWire):
    game: str | None
    alpha: float
    rows: list[OutcomeRowWire]


class OutcomeCsvRow(msgspec.Struct):
    game: str
    bin: str
    observed: int
    expected: float
    chi2: float | None
    dof: int | None
    p_value: float | None
    alert: bool


def outcome_wire(row: OutcomeTest) -> OutcomeRowWire:
    test = row.test
    return OutcomeRowWire(
        row.game,
        row.bets,
        [OutcomeBinWire(b.label, b.observed, round(b.expected, 4)) for b in row.bins],
        None if test is None or math.isinf(test.statistic) else test.statistic,
        None if test is None else test.dof,
        None if test is None else test.p_value,
        row.alert,
    )


def outcome_csv_rows(rows: Iterable[OutcomeRowWire]) -> list[OutcomeCsvRow]:
    return [
        OutcomeCsvRow(r.game, b.bin, b.observed, b.expected, r.chi2, r.dof, r.p_value, r.alert)
        for r in rows
        for b in r.bins
    ]


def ratio_text(value: Fraction | None) -> str | None:
    """A ratio as decimal text, rounded half-even to RATIO_DECIMALS decimals ("0.99")."""
    if value is None:
        return None
    scaled = Decimal(round(value * 10**RATIO_DECIMALS)).scaleb(-RATIO_DECIMALS)
    return format(scaled.normalize(), "f")


def ggr_wire(row: GgrRow) -> GgrRowWire:
    return GgrRowWire(row.day, row.game, row.currency, row.bets, row.stakes, row.wins, row.ggr)


def rtp_wire(row: RtpRow) -> RtpRowWire:
    return RtpRowWire(
        row.game,
        row.currency,
        row.bets,
        row.stakes,
        row.wins,
        ratio_text(row.actual),
        ratio_text(row.theoretical),
        row.drift,
    )


def cashflow_wire(row: CashflowRow) -> CashflowRowWire:
    return CashflowRowWire(row.day, row.currency, row.deposits, row.withdrawals, row.active_players)


# -- CSV -------------------------------------------------------------------------------------


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return value


def to_csv(columns: Sequence[str], rows: Iterable[msgspec.Struct]) -> str:
    """A header row, then one line per row, the columns in the JSON rows' order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in columns])
    return out.getvalue()


Since = Annotated[
    str | None,
    QueryParameter(
        name="from",
        format=OpenAPIFormat.DATE,
        description="first UTC day, inclusive (default: six days before today)",
    ),
]
Until = Annotated[
    str | None,
    QueryParameter(
        name="to",
        format=OpenAPIFormat.DATE,
        description="UTC day after the last, exclusive (default: tomorrow); at most 366 days",
    ),
]
Currency = Annotated[str | None, QueryParameter(description="only this currency (code)")]
Game = Annotated[str | None, QueryParameter(description="only this game (code)")]
Format = Annotated[str | None, QueryParameter(name="format", description="json (default) or csv")]


@dataclass(frozen=True, slots=True)
class Asked:
    """A report request's query parameters: what the use case is asked, and in which format
    the answer goes out."""

    query: ReportQuery
    fmt: str | None


Asking = NamedDependency[Asked]  # a handler's `Asked`, from the route's `ask` dependency


def ask(
    since: Since = None,
    until: Until = None,
    currency: Currency = None,
    game: Game = None,
    fmt: Format = None,
) -> Asked:
    return Asked(ReportQuery(since, until, currency, game), fmt)


def ask_without_game(
    since: Since = None, until: Until = None, currency: Currency = None, fmt: Format = None
) -> Asked:
    """For the cash flow, which a game does not narrow: no `game` parameter to document."""
    return Asked(ReportQuery(since, until, currency), fmt)


def _head(made: Report[Any]) -> tuple[datetime, date, date, str | None]:
    """The fields every report's envelope opens with: when, the period, the currency."""
    return made.generated_at, made.period.since, made.period.until, made.scope.currency


@dataclass(frozen=True, slots=True)
class ReportRoute(Generic[Row, RowWire]):
    """One report's route, so that the four share one handler: GET /<name> asks the use
    case with the query parameters `ask` declares (and the OpenAPI document shows), and
    answers JSON (`envelope` around the rows in their `row` form, documented as `wire`) or,
    with `format=csv`, a file named after the report, one line per `csv_rows` item with
    `csv_row`'s fields as columns (by default the JSON rows)."""

    name: str
    summary: str
    description: str
    use_case: type[Any]
    wire: type[msgspec.Struct]
    row: Callable[[Row], RowWire]
    # The use case is passed for what only it knows (the outcomes' alpha).
    envelope: Callable[[Any, Report[Row], list[RowWire]], msgspec.Struct]
    csv_row: type[msgspec.Struct]
    csv_rows: Callable[[list[RowWire]], Iterable[msgspec.Struct]] = list
    ask: Callable[..., Asked] = ask

    def answer(self, report: Any, made: Report[Row], fmt: str | None) -> Response[Any]:
        rows = [self.row(r) for r in made.rows]
        wanted = (fmt or "json").strip().lower()
        if wanted == "json":
            return Response(self.envelope(report, made, rows))
        if wanted != "csv":
            raise InvalidField("format", "format is json or csv")
        generated = made.generated_at.strftime("%Y%m%dT%H%M%SZ")
        period = f"{made.period.since.isoformat()}_{made.period.until.isoformat()}"
        headers = {
            "Content-Disposition": f'attachment; filename="{self.name}_{period}_{generated}.csv"',
            GENERATED_AT_HEADER: made.generated_at.isoformat(),
        }
        text = to_csv(self.csv_row.__struct_fields__, self.csv_rows(rows))
        return Response(text, media_type="text/csv", headers=headers)

    def handler(self) -> HTTPRouteHandler:
        route = self

        async def handler(controller: Controller, report: Any, asked: Asking) -> Response[Any]:
            return route.answer(report, await report(asked.query), asked.fmt)

        # The name makes the OpenAPI operation id. The annotation is FromDishka[use case]
        # spelled out: it tells dishka what to inject, a class per report, so it cannot be
        # written in the signature above.
        handler.__name__ = handler.__qualname__ = self.name
        handler.__annotations__["report"] = Annotated[self.use_case, FromComponent()]
        return get(
            f"/{self.name}",
            summary=self.summary,
            description=self.description,
            responses={200: ResponseSpec(data_container=self.wire, description="The report")},
            dependencies={"asked": Provide(self.ask, sync_to_thread=False)},
        )(inject(handler))


GGR = ReportRoute(
    "ggr",
    "Gross gaming revenue (stakes - wins) per UTC day, game and currency",
    "Bets won or lost in the period, by settlement time (voided bets are left out); a row for "
    "every day, game and currency, zeros included. `format=csv` answers text/csv with a "
    "header row.",
    GgrReport,
    GgrReportWire,
    ggr_wire,
    lambda _, made, rows: GgrReportWire(*_head(made), made.scope.game, rows),
    GgrRowWire,
)
RTP = ReportRoute(
    "rtp",
    "Actual against theoretical RTP per game and currency, with a drift flag",
    "actual_rtp = wins / stakes of the bets settled in the period; theoretical_rtp = the "
    "stake-weighted exact RTP of those bets (their selection and house edge); drift = at "
    "least 1000 bets and the actual RTP more than 3 standard deviations from theory. A row "
    "for every game and currency, zeros (and nulls) included.",
    RtpReport,
    RtpReportWire,
    rtp_wire,
    lambda _, made, rows: RtpReportWire(*_head(made), made.scope.game, rows),
    RtpRowWire,
)
CASHFLOW = ReportRoute(
    "cashflow",
    "Deposits, withdrawals and active players per UTC day and currency",
    "Deposits and withdrawals on players' wallets (withdrawals as a positive amount taken "
    "out), and the distinct players who placed a bet that day; a row for every day and "
    "currency, zeros included.",
    CashflowReport,
    CashflowReportWire,
    cashflow_wire,
    lambda _, made, rows: CashflowReportWire(*_head(made), rows),
    CashflowRowWire,
    ask=ask_without_game,
)
OUTCOMES = ReportRoute(
    "outcomes",
    "Observed against theoretical outcomes per game, with a chi-square test",
    "For each game, the outcomes of the bets won or lost in the period, counted in the "
    "game's bins (each value of a Telegram dice, each roulette pocket, the coin's sides, "
    "dice rolls by whole numbers, limbo results by ranges, plinko drops by the slot of "
    "their first 8 rows), merged with their neighbours "
    "until each expects at least 5; Pearson's chi-square, its degrees of freedom and "
    "p-value; alert = p-value below the configured alpha (a broken RNG or a skewed Telegram "
    "dice). A row for every game, even without bets. `format=csv` answers one line per game "
    "and bin.",
    OutcomeReport,
    OutcomeReportWire,
    outcome_wire,
    lambda report, made, rows: OutcomeReportWire(*_head(made), made.scope.game, report.alpha, rows),
    OutcomeCsvRow,
    outcome_csv_rows,
)


class ReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY

    ggr = GGR.handler()
    rtp = RTP.handler()
    cashflow = CASHFLOW.handler()
    outcomes = OUTCOMES.handler()
