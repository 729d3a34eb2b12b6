"""The regulatory reports and the outcome monitoring on in-memory fakes (tests/fake_reports.py):
the period and scope each report reads, a row for every cell, the RTP and chi-square computed
from what the read model returns, and the monitor's alerts written to the audit log. The SQL
aggregates are tested through the admin API on PostgreSQL
(tests/entrypoints/test_http_reports.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pytest

from application.reports import (
    CashflowReport,
    GgrReport,
    OutcomeReport,
    ReportQuery,
    RtpReport,
)
from application.risk import MonitorOutcomes, RiskReview
from domain.errors import InvalidField, InvalidRequest
from domain.games.catalog import GAMES
from domain.money import XTR, CurrencyRegistry
from domain.reports import ReportPeriod, ReportScope
from domain.risk import RiskPolicy
from domain.staff import AuditAction
from tests.casino_on_fakes import Casino
from tests.fake_reports import FakeReportReads

CURRENCIES = CurrencyRegistry([XTR])
POLICY = RiskPolicy()


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


def _today(casino: Casino) -> date:
    return casino.clock.now().date()


async def _three_coins(casino: Casino) -> list[int]:
    """Three coin flips of 10 by one player: with the fixed seeds a win (19), then losses."""
    ann = await casino.player(1, deposit=1000)
    return [(await casino.coin(ann)).bet.payout or 0 for _ in range(3)]


async def test_ggr_has_a_row_for_every_day_game_and_currency_in_scope(casino):
    payouts = await _three_coins(casino)
    today = _today(casino)
    report = GgrReport(FakeReportReads(casino.db), CURRENCIES, casino.clock)

    coin = await report(ReportQuery(since=today.isoformat(), game=" Coin "))
    assert (coin.period, coin.scope) == (
        ReportPeriod(today, today + timedelta(days=1)),
        ReportScope(None, "coin"),
    )
    [row] = coin.rows
    assert (row.day, row.bets, row.stakes, row.wins) == (today, 3, 30, sum(payouts))
    assert row.ggr == 30 - sum(payouts)

    week = await report(ReportQuery())  # by default the last seven days, today included
    assert week.period == ReportPeriod(today - timedelta(days=6), today + timedelta(days=1))
    assert len(week.rows) == 7 * len(GAMES)
    assert sum(r.bets for r in week.rows) == 3
    assert week.generated_at == casino.clock.now()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (ReportQuery(since="2026-11-20", until="2026-11-20"), "to"),
        (ReportQuery(since="20 November"), "from"),
        (ReportQuery(since="2020-01-01", until="2026-01-01"), "to"),
        (ReportQuery(currency="EUR"), "currency"),
        (ReportQuery(game="poker"), "game"),
    ],
)
async def test_a_bad_report_query_names_its_field(casino, query, field):
    report = GgrReport(FakeReportReads(casino.db), CURRENCIES, casino.clock)
    with pytest.raises(InvalidField) as refused:
        await report(query)
    assert refused.value.field == field


async def test_rtp_is_wins_over_stakes_per_game_and_currency(casino):
    payouts = await _three_coins(casino)
    report = RtpReport(FakeReportReads(casino.db), CURRENCIES, casino.clock)
    rows = {r.game: r for r in (await report(ReportQuery(currency="xtr"))).rows}
    assert set(rows) == set(GAMES)
    coin = rows["coin"]
    assert (coin.currency, coin.bets, coin.stakes, coin.wins) == ("XTR", 3, 30, sum(payouts))
    assert coin.actual == pytest.approx(sum(payouts) / 30)
    assert coin.theoretical is not None
    assert not coin.drift  # three bets are too few to call a drift
    assert (rows["dice"].bets, rows["dice"].actual) == (0, None)


async def test_cashflow_ignores_the_game_filter_and_counts_deposits_and_players(casino):
    await _three_coins(casino)
    today = _today(casino)
    report = CashflowReport(FakeReportReads(casino.db), CURRENCIES, casino.clock)
    cashflow = await report(ReportQuery(since=today.isoformat(), game="dice"))
    assert cashflow.scope == ReportScope(None, None)
    [row] = cashflow.rows
    assert (row.day, row.currency, row.deposits, row.withdrawals, row.active_players) == (
        today,
        "XTR",
        1000,
        0,
        1,
    )


async def test_the_outcome_report_tests_every_game_with_the_policys_alpha(casino):
    await _three_coins(casino)
    report = OutcomeReport(FakeReportReads(casino.db), CURRENCIES, casino.clock, POLICY)
    assert report.alpha == POLICY.outcome_alpha
    tests = {t.game: t for t in (await report(ReportQuery())).rows}
    assert set(tests) == set(GAMES)
    assert tests["coin"].bets == 3
    assert not tests["coin"].alert
    only = await report(ReportQuery(game="coin"))
    assert [t.game for t in only.rows] == ["coin"]


class SkewedReads(FakeReportReads):
    """Every coin flip of the period came up heads, 1,000 times: far from a fair coin."""

    async def outcome_counts(
        self,
        period: ReportPeriod,
        scope: ReportScope,
        bins: Mapping[str, Sequence[int]],
        moduli: Mapping[str, int] | None = None,
    ) -> Mapping[str, Sequence[int]]:
        counts = dict(await super().outcome_counts(period, scope, bins, moduli))
        counts["coin"] = [1000, 0]
        return counts


async def test_monitoring_audits_each_alert_and_stays_quiet_without_one(casino):
    await _three_coins(casino)
    review = RiskReview(POLICY)
    quiet = MonitorOutcomes(FakeReportReads(casino.db), casino.db, casino.clock, review)
    result = await quiet(days=1)
    assert result.alerts == 0
    assert result.period == ReportPeriod(_today(casino), _today(casino) + timedelta(days=1))
    assert casino.db.state.audit == []

    loud = MonitorOutcomes(SkewedReads(casino.db), casino.db, casino.clock, review)
    result = await loud()
    assert result.alerts == 1
    [entry] = casino.db.state.audit
    assert (entry.action, entry.subject, entry.actor) == (
        AuditAction.OUTCOME_ALERT,
        "game:coin",
        "system",
    )
    assert entry.after["bets"] == 1000
    assert entry.after["p_value"] < POLICY.outcome_alpha
    with pytest.raises(InvalidRequest):
        await loud(days=0)
