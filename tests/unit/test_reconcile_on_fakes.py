"""Reconciliation on in-memory fakes (tests/fake_books.py): clean books report nothing and
every settled bet is recomputed page by page; a tampered payout, a balance that differs from
its legs and an event the outbox owes are each reported, up to the report's limit. The SQL
scans are tested on PostgreSQL (tests/integration/test_reconcile_command.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.reconciliation import Reconcile
from tests.casino_on_fakes import Casino
from tests.fake_books import FakeBooksAudit


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    ann = await casino.player(1, deposit=1000)
    for _ in range(5):
        await casino.coin(ann)
    return casino


async def test_clean_books_report_nothing_and_every_settled_bet_is_recomputed(casino):
    audit = FakeBooksAudit(casino.db)
    report = await Reconcile(audit, page=2)()
    assert report.clean
    assert report.discrepancies == []
    assert report.bets_recomputed == 5
    # Pages of two, each after the last bet of the one before, until a short page.
    assert [limit for _, limit in audit.pages] == [2, 2, 2]
    assert audit.pages[0][0] is None
    assert audit.pages[1][0] is not None


async def test_a_tampered_payout_a_wrong_balance_and_a_missing_event_are_reported(casino):
    state = casino.db.state
    bet = next(b for b in state.bets.values() if b.payout)
    state.bets[bet.id] = replace(bet, payout=bet.payout + 1)
    wallet = next(a for a in state.accounts.values() if a.player_id is not None)
    wallet.balance += 5
    audit = FakeBooksAudit(casino.db)
    audit.owed = ["bet b-1: no bet.settled event"]
    report = await Reconcile(audit)()
    assert not report.clean
    checks = [d.check for d in report.discrepancies]
    assert checks == [
        "balance differs from its legs",
        "bet does not recompute",
        "outbox is missing an event",
    ]
    assert str(bet.id) in report.discrepancies[1].detail
    assert str(report.discrepancies[2]) == (
        "outbox is missing an event: bet b-1: no bet.settled event"
    )


async def test_the_report_stops_listing_bets_at_its_limit(casino):
    state = casino.db.state
    for bet in list(state.bets.values()):
        state.bets[bet.id] = replace(bet, payout=(bet.payout or 0) + 1)
    report = await Reconcile(FakeBooksAudit(casino.db), report_limit=2)()
    assert len(report.discrepancies) == 2
    assert report.bets_recomputed == 5  # every bet is still checked
