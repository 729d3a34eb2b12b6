"""What promotions cost, per period and currency and per budget, read from the ledger
(docs/bonuses.md, "Reports").

The journal says everything the reports need: a `grant` into a bonus account is bonus
granted, a `grant` into a wallet is promotion cash paid (rakeback, referral commission, the
daily bonus: its metadata names the programme), a `conversion` is bonus become cash, a
`forfeit` is bonus taken back. Only what reaches a player's cash costs the house:

    bonus cost = converted + paid
    NGR        = GGR − bonus cost          (GGR = stakes − payouts of the bets settled)

A bonus granted is not a cost yet (it cannot be withdrawn or staked until it converts), and
a forfeit cancels a grant rather than earning anything, so neither enters NGR; both are shown.

Play money (FUN) is no money: its rows are left out unless the report asks for FUN by name,
and then they stand apart, as every currency's rows do (amounts are never added across
currencies)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from domain.money import FUN
from domain.promotions import Programme
from domain.reports import GgrRow, ReportPeriod

# Currencies whose amounts are not money: reported only when asked for by name.
PLAY_MONEY: Final = frozenset({FUN.code})


class Granularity(enum.StrEnum):
    """How a report's days are grouped: UTC days, ISO weeks (Monday first) or months."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    def start(self, day: date) -> date:
        """The first day of the group `day` falls in."""
        if self is Granularity.WEEK:
            return day - timedelta(days=day.weekday())
        if self is Granularity.MONTH:
            return day.replace(day=1)
        return day

    def next(self, start: date) -> date:
        """The first day of the group after the one starting on `start`."""
        if self is Granularity.WEEK:
            return start + timedelta(days=7)
        if self is Granularity.MONTH:
            return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start + timedelta(days=1)


def buckets(period: ReportPeriod, granularity: Granularity) -> list[tuple[date, date]]:
    """The period's groups of days, each cut to the period: [since, until) pairs in order. A
    week or month the period only partly covers is a shorter group (from 2026-11-15 to
    2026-12-03 by month: 11-15..12-01 and 12-01..12-03)."""
    found = []
    start = granularity.start(period.since)
    while start < period.until:
        end = granularity.next(start)
        found.append((max(start, period.since), min(end, period.until)))
        start = end
    return found


class Movement(enum.StrEnum):
    """What a promotion posting did, read from its journal kind and where the money went."""

    GRANTED = "granted"  # promotions -> a bonus account: no cost yet
    CONVERTED = "converted"  # a bonus account -> the wallet: a cost
    FORFEITED = "forfeited"  # a bonus account -> promotions: the grant taken back
    PAID = "paid"  # promotions -> the wallet (rakeback, referral, daily): a cost


@dataclass(frozen=True, slots=True)
class PromotionFlow:
    """The promotion postings of one UTC day, currency, budget, programme and movement:
    how many, and their amount in minor units (positive)."""

    day: date
    currency: str
    budget: str  # the budget the grant spent ("" when a posting names none)
    programme: str
    movement: Movement
    postings: int
    amount: int


@dataclass(frozen=True, slots=True)
class PromotionRow:
    """One period's promotions in one currency, beside its gaming revenue."""

    since: date
    until: date  # exclusive
    currency: str
    bets: int
    stakes: int
    wins: int
    granted: int
    converted: int
    forfeited: int
    paid_rakeback: int
    paid_referral: int
    paid_daily: int
    paid_other: int  # promotion cash of any other programme

    @property
    def paid(self) -> int:
        return self.paid_rakeback + self.paid_referral + self.paid_daily + self.paid_other

    @property
    def bonus_cost(self) -> int:
        """What promotions put into players' cash: conversions and payments."""
        return self.converted + self.paid

    @property
    def ggr(self) -> int:
        return self.stakes - self.wins

    @property
    def ngr(self) -> int:
        return self.ggr - self.bonus_cost


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One period's postings against one budget (a campaign's, or a programme's)."""

    since: date
    until: date
    currency: str
    budget: str
    granted: int
    converted: int
    forfeited: int
    paid: int

    @property
    def cost(self) -> int:
        return self.converted + self.paid


@dataclass(slots=True)
class _Sums:
    """What one row adds up while the rows are read."""

    bets: int = 0
    stakes: int = 0
    wins: int = 0
    moved: dict[Movement, int] = field(default_factory=lambda: dict.fromkeys(Movement, 0))
    paid: dict[str, int] = field(default_factory=dict)  # by programme


def _bucket_of(groups: Sequence[tuple[date, date]], day: date) -> tuple[date, date] | None:
    for since, until in groups:
        if since <= day < until:
            return since, until
    return None


_NAMED_PROGRAMMES: Final = (Programme.RAKEBACK, Programme.REFERRAL, Programme.DAILY)


def promotion_rows(
    period: ReportPeriod,
    granularity: Granularity,
    currencies: Sequence[str],
    revenue: Iterable[GgrRow],
    flows: Iterable[PromotionFlow],
) -> list[PromotionRow]:
    """A row for every group of days × currency (in `currencies`' order), zeros included:
    the GGR rows (per day and game) and the flows summed into it."""
    groups = buckets(period, granularity)
    sums = {(since, currency): _Sums() for since, _ in groups for currency in currencies}
    for row in revenue:
        group = _bucket_of(groups, row.day)
        cell = sums.get((group[0], row.currency)) if group else None
        if cell is not None:
            cell.bets += row.bets
            cell.stakes += row.stakes
            cell.wins += row.wins
    for flow in flows:
        group = _bucket_of(groups, flow.day)
        cell = sums.get((group[0], flow.currency)) if group else None
        if cell is not None:
            cell.moved[flow.movement] += flow.amount
            if flow.movement is Movement.PAID:
                cell.paid[flow.programme] = cell.paid.get(flow.programme, 0) + flow.amount
    rows = []
    for since, until in groups:
        for currency in currencies:
            cell = sums[(since, currency)]
            rakeback, referral, daily = (cell.paid.get(p.value, 0) for p in _NAMED_PROGRAMMES)
            rows.append(
                PromotionRow(
                    since,
                    until,
                    currency,
                    cell.bets,
                    cell.stakes,
                    cell.wins,
                    cell.moved[Movement.GRANTED],
                    cell.moved[Movement.CONVERTED],
                    cell.moved[Movement.FORFEITED],
                    rakeback,
                    referral,
                    daily,
                    cell.moved[Movement.PAID] - rakeback - referral - daily,
                )
            )
    return rows


def budget_rows(
    period: ReportPeriod, granularity: Granularity, flows: Iterable[PromotionFlow]
) -> list[BudgetRow]:
    """A row for every group of days × budget that moved anything (a campaign that gave
    nothing in a week has no row that week), ordered by period, currency and budget."""
    groups = buckets(period, granularity)
    sums: dict[tuple[date, date, str, str], dict[Movement, int]] = {}
    for flow in flows:
        group = _bucket_of(groups, flow.day)
        if group is None:
            continue
        cell = sums.setdefault((*group, flow.currency, flow.budget), dict.fromkeys(Movement, 0))
        cell[flow.movement] += flow.amount
    return [
        BudgetRow(
            since,
            until,
            currency,
            budget,
            cell[Movement.GRANTED],
            cell[Movement.CONVERTED],
            cell[Movement.FORFEITED],
            cell[Movement.PAID],
        )
        for (since, until, currency, budget), cell in sorted(sums.items())
    ]
