"""The promotion reports on in-memory fakes (tests/fake_promotion_reports.py): bonus granted,
converted and forfeited and promotion cash paid per day, week or month and currency beside
GGR and NGR (= GGR − conversions − payments), per budget, play money apart; and the staff's
list of budgets. The postings are the ledger's own (tests/promotion_postings.py); the SQL is
tested on PostgreSQL (tests/integration/test_promotion_reports.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from application.promotion_budgets import ListPromotionBudgets
from application.promotion_reports import (
    PromotionBudgetReport,
    PromotionCostReport,
    PromotionReportQuery,
)
from domain.errors import InvalidField
from domain.money import FUN, XTR, CurrencyRegistry, Money
from domain.promotion_reports import Granularity
from domain.promotions import Programme
from tests.casino_on_fakes import Casino
from tests.fake_promotion_reports import FakePromotionReports
from tests.promotion_postings import PromotionPostings

CURRENCIES = CurrencyRegistry([XTR, FUN])


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
async def books() -> Casino:
    """November 2026 (the fakes' clock stands on Tuesday the 24th): Ann's three coin flips
    of 10 (one wins 19: GGR 11) on the 24th; a bonus of 100 granted on Friday the 20th and
    still pending; on Monday the 23rd a bonus of 500 granted (converted on the 24th) and one
    of 200 (forfeited on the 24th); on the 24th rakeback of 40 and a referral commission of
    25 paid in cash, and the daily 1,000 FUN of play money."""
    casino = Casino()
    await casino.bankroll()
    ann = await casino.player(1, deposit=1000)
    payouts = [(await casino.coin(ann)).bet.payout or 0 for _ in range(3)]
    assert sum(payouts) == 19
    books = PromotionPostings(casino.db, casino.ids)
    await books.budget("welcome", Money(10_000, XTR))
    await books.budget("rakeback-xtr", Money(1_000, XTR))
    await books.budget("referral-xtr", Money(1_000, XTR))
    await books.budget("daily-fun", Money(10**6, FUN))
    # Bob's bonus (one active bonus per player: Ann's two come one after the other's grant
    # on Monday, so the 200 goes to Cy; the report sums over players).
    bob = await casino.player(2, deposit=0)
    cy = await casino.player(3, deposit=0)
    await books.grant(bob, Money(100, XTR), "welcome", at(20))
    kept, _ = await books.grant(ann, Money(500, XTR), "welcome", at(23))
    lost, _ = await books.grant(cy, Money(200, XTR), "welcome", at(23, 13))
    await books.convert(ann, kept, Money(500, XTR), at(24))
    await books.forfeit(cy, lost, Money(200, XTR), at(24))
    await books.pay(ann, Money(40, XTR), Programme.RAKEBACK, "rakeback-xtr", at(24))
    await books.pay(ann, Money(25, XTR), Programme.REFERRAL, "referral-xtr", at(24))
    await books.pay(ann, Money(1000, FUN), Programme.DAILY, "daily-fun", at(24))
    return casino


def cost_report(casino: Casino) -> PromotionCostReport:
    reads = FakePromotionReports(casino.db, ("XTR", "FUN"))
    return PromotionCostReport(reads, CURRENCIES, casino.clock)


def budget_report(casino: Casino) -> PromotionBudgetReport:
    reads = FakePromotionReports(casino.db, ("XTR", "FUN"))
    return PromotionBudgetReport(reads, CURRENCIES, casino.clock)


def numbers(row) -> tuple[int, ...]:
    return (
        row.ggr,
        row.granted,
        row.converted,
        row.forfeited,
        row.paid_rakeback,
        row.paid_referral,
        row.paid_daily,
        row.paid_other,
        row.bonus_cost,
        row.ngr,
    )


async def test_each_day_shows_its_promotions_beside_ggr_and_ngr(books):
    made = await cost_report(books)(PromotionReportQuery(since="2026-11-20", until="2026-11-25"))
    assert made.granularity is Granularity.DAY
    # A row for every day in XTR, zeros included; FUN is not money and is left out.
    assert [(r.since, r.currency) for r in made.rows] == [
        (date(2026, 11, d), "XTR") for d in range(20, 25)
    ]
    by_day = {r.since.day: numbers(r) for r in made.rows}
    assert by_day[20] == (0, 100, 0, 0, 0, 0, 0, 0, 0, 0)
    assert by_day[21] == by_day[22] == (0,) * 10
    assert by_day[23] == (0, 700, 0, 0, 0, 0, 0, 0, 0, 0)
    # GGR 30 - 19 = 11; cost 500 converted + 40 + 25 paid = 565; NGR 11 - 565 = -554.
    assert by_day[24] == (11, 0, 500, 200, 40, 25, 0, 0, 565, -554)
    assert made.rows[-1].bets == 3


async def test_weeks_and_months_add_up_the_days_cut_to_the_period(books):
    report = cost_report(books)
    weeks = await report(
        PromotionReportQuery(since="2026-11-20", until="2026-11-25", granularity=" Week ")
    )
    # Friday the 20th starts in the week of Monday the 16th, cut to the 20th.
    assert [(r.since, r.until) for r in weeks.rows] == [
        (date(2026, 11, 20), date(2026, 11, 23)),
        (date(2026, 11, 23), date(2026, 11, 25)),
    ]
    assert [numbers(r) for r in weeks.rows] == [
        (0, 100, 0, 0, 0, 0, 0, 0, 0, 0),
        (11, 700, 500, 200, 40, 25, 0, 0, 565, -554),
    ]
    month = await report(
        PromotionReportQuery(since="2026-11-01", until="2026-12-02", granularity="month")
    )
    assert [(r.since, r.until, r.granted, r.ngr) for r in month.rows] == [
        (date(2026, 11, 1), date(2026, 12, 1), 800, -554),
        (date(2026, 12, 1), date(2026, 12, 2), 0, 0),
    ]


async def test_play_money_is_reported_only_when_asked_for(books):
    fun = await cost_report(books)(
        PromotionReportQuery(since="2026-11-24", until="2026-11-25", currency="fun")
    )
    [row] = fun.rows
    assert (row.currency, row.paid_daily, row.bonus_cost, row.ngr) == ("FUN", 1000, 1000, -1000)
    budgets = await budget_report(books)(
        PromotionReportQuery(since="2026-11-24", until="2026-11-25")
    )
    assert "daily-fun" not in {r.budget for r in budgets.rows}


async def test_each_budget_shows_what_was_granted_and_what_it_cost(books):
    made = await budget_report(books)(
        PromotionReportQuery(since="2026-11-16", until="2026-11-30", granularity="week")
    )
    # Conversions and forfeits name their bonus; the budget is its grant's. Only budgets
    # that moved something have a row.
    assert [
        (r.since, r.budget, r.granted, r.converted, r.forfeited, r.paid, r.cost) for r in made.rows
    ] == [
        (date(2026, 11, 16), "welcome", 100, 0, 0, 0, 0),
        (date(2026, 11, 23), "rakeback-xtr", 0, 0, 0, 40, 40),
        (date(2026, 11, 23), "referral-xtr", 0, 0, 0, 25, 25),
        (date(2026, 11, 23), "welcome", 700, 500, 200, 0, 500),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (PromotionReportQuery(granularity="year"), "period"),
        (PromotionReportQuery(currency="EUR"), "currency"),
        (PromotionReportQuery(since="2026-11-25", until="2026-11-20"), "to"),
        (PromotionReportQuery(since="yesterday"), "from"),
    ],
)
async def test_a_bad_request_names_its_field(books, query, field):
    for report in (cost_report(books), budget_report(books)):
        with pytest.raises(InvalidField) as refused:
            await report(query)
        assert refused.value.field == field


async def test_staff_list_the_budgets_with_what_is_spent_and_left(books):
    listing = ListPromotionBudgets(books.db, CURRENCIES)
    assert [
        (b.code, b.total.amount, b.spent.amount, b.remaining.amount) for b in await listing()
    ] == [
        ("daily-fun", 10**6, 1000, 10**6 - 1000),
        ("rakeback-xtr", 1000, 40, 960),
        ("referral-xtr", 1000, 25, 975),
        ("welcome", 10_000, 800, 9_200),
    ]
    assert [b.code for b in await listing(" fun ")] == ["daily-fun"]
    with pytest.raises(InvalidField):
        await listing("EUR")
