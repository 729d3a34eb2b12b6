"""The promotion reports' rules in the domain: how days group into weeks and months, and
NGR = GGR − (conversions + payments), with grants and forfeits shown but no cost."""

from __future__ import annotations

from datetime import date

from domain.promotion_reports import (
    BudgetRow,
    Granularity,
    Movement,
    PromotionFlow,
    PromotionRow,
    buckets,
    promotion_rows,
)
from domain.reports import GgrRow, ReportPeriod


def test_weeks_start_on_monday_and_months_on_the_first_cut_to_the_period():
    period = ReportPeriod(date(2026, 12, 30), date(2027, 1, 6))
    assert buckets(period, Granularity.DAY)[0] == (date(2026, 12, 30), date(2026, 12, 31))
    assert len(buckets(period, Granularity.DAY)) == 7
    # Wednesday 2026-12-30 is in the week of Monday the 28th; Monday 2027-01-04 starts one.
    assert buckets(period, Granularity.WEEK) == [
        (date(2026, 12, 30), date(2027, 1, 4)),
        (date(2027, 1, 4), date(2027, 1, 6)),
    ]
    assert buckets(period, Granularity.MONTH) == [
        (date(2026, 12, 30), date(2027, 1, 1)),
        (date(2027, 1, 1), date(2027, 1, 6)),
    ]
    february = ReportPeriod(date(2028, 2, 1), date(2028, 3, 2))
    assert buckets(february, Granularity.MONTH) == [
        (date(2028, 2, 1), date(2028, 3, 1)),
        (date(2028, 3, 1), date(2028, 3, 2)),
    ]


def test_ngr_is_ggr_less_what_promotions_put_into_cash():
    row = PromotionRow(
        date(2026, 11, 1), date(2026, 12, 1), "XTR", bets=120, stakes=10_000, wins=9_400,
        granted=2_000, converted=500, forfeited=1_200, paid_rakeback=30, paid_referral=45,
        paid_daily=0, paid_other=5,
    )  # fmt: skip
    assert (row.ggr, row.paid, row.bonus_cost, row.ngr) == (600, 80, 580, 20)
    assert BudgetRow(date(2026, 11, 1), date(2026, 12, 1), "XTR", "w", 9, 4, 5, 2).cost == 6


def test_rows_cover_every_period_and_currency_and_skip_what_falls_outside():
    period = ReportPeriod(date(2026, 11, 2), date(2026, 11, 16))
    day = date(2026, 11, 10)
    flows = [
        PromotionFlow(day, "XTR", "vip", "rakeback", Movement.PAID, 2, 7),
        PromotionFlow(day, "XTR", "x", "cashback", Movement.PAID, 1, 3),  # a programme to come
        PromotionFlow(day, "TON", "w", "bonus", Movement.GRANTED, 1, 9),  # not in the report
    ]
    revenue = [GgrRow(day, "coin", "XTR", 4, 40, 19), GgrRow(day, "dice", "XTR", 1, 10, 0)]
    rows = promotion_rows(period, Granularity.WEEK, ["USDT", "XTR"], revenue, flows)
    assert [(r.since, r.currency) for r in rows] == [
        (date(2026, 11, 2), "USDT"),
        (date(2026, 11, 2), "XTR"),
        (date(2026, 11, 9), "USDT"),
        (date(2026, 11, 9), "XTR"),
    ]
    xtr = rows[3]
    assert (xtr.bets, xtr.ggr, xtr.paid_rakeback, xtr.paid_other, xtr.ngr) == (5, 31, 7, 3, 21)
    assert all(r.ngr == 0 for r in rows[:3])
