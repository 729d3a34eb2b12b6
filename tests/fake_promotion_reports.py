"""An in-memory fake of the promotion reports' read model, computed from what a
`tests.fakes.FakeDatabase` has committed (the journal as the adapter reads it: the kind, the
account the money went to, the metadata, a conversion's or forfeit's budget from its bonus's
grant), with the GGR rows of `tests.fake_reports`. The SQL is tested on PostgreSQL
(tests/integration/test_promotion_reports.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from application.ports import PromotionData
from domain.accounts import AccountKind
from domain.ledger import PostedTransaction, TransactionKind
from domain.promotion_reports import Movement, PromotionFlow
from domain.reports import ReportPeriod, ReportScope
from tests.fake_reports import FakeReportReads
from tests.fakes import FakeDatabase

_KINDS = (TransactionKind.GRANT, TransactionKind.CONVERSION, TransactionKind.FORFEIT)


class FakePromotionReports:
    def __init__(self, db: FakeDatabase, currencies: Sequence[str] = ("XTR",)) -> None:
        self.db = db
        self.revenue = FakeReportReads(db, currencies)

    def _movement(self, posted: PostedTransaction) -> Movement:
        if posted.kind is TransactionKind.CONVERSION:
            return Movement.CONVERTED
        if posted.kind is TransactionKind.FORFEIT:
            return Movement.FORFEITED
        into_bonus = any(
            leg.account_kind is AccountKind.PLAYER_BONUS and leg.amount.amount > 0
            for leg in posted.legs
        )
        return Movement.GRANTED if into_bonus else Movement.PAID

    def _named(self, posted: PostedTransaction, name: str, default: str) -> str:
        if name in posted.metadata:
            return str(posted.metadata[name])
        grant = self.db.state.transactions.get(f"bonus:{posted.metadata.get('bonus_id')}:grant")
        if posted.kind is not TransactionKind.GRANT and grant and name in grant[1].metadata:
            return str(grant[1].metadata[name])
        return default

    async def promotion_data(self, period: ReportPeriod, scope: ReportScope) -> PromotionData:
        scope = ReportScope(scope.currency, None)
        revenue = tuple(await self.revenue.gross_gaming_revenue(period, scope))
        cells: dict[tuple[date, str, str, str, Movement], list[int]] = defaultdict(list)
        for _, posted in self.db.state.transactions.values():
            day = posted.created_at.date()
            currency = posted.legs[0].amount.currency.code
            if posted.kind not in _KINDS or not period.since <= day < period.until:
                continue
            if scope.currency is not None and currency != scope.currency:
                continue
            key = (
                day,
                currency,
                self._named(posted, "budget", ""),
                self._named(posted, "programme", "bonus"),
                self._movement(posted),
            )
            cells[key].append(
                sum(leg.amount.amount for leg in posted.legs if leg.amount.amount > 0)
            )
        flows = tuple(
            PromotionFlow(*key, len(amounts), sum(amounts))
            for key, amounts in sorted(cells.items())
        )
        return PromotionData(revenue, flows)
