"""An in-memory fake of the reports' read model, computed from the bets and journal a
`tests.fakes.FakeDatabase` has committed, so the report and monitoring use cases run in unit
tests. It keeps the port's contract (whole UTC days, won and lost bets by settlement time,
a row for every day, game and currency in scope, zeros included); the SQL aggregates and the
one snapshot they read are tested on PostgreSQL (tests/entrypoints/test_http_reports.py,
tests/integration/test_risk.py)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from application.ports import RtpData
from domain.accounts import AccountKind
from domain.bankroll_report import AccountTotal
from domain.bets import Bet, BetState
from domain.games.catalog import GAMES
from domain.games.mines import TILES
from domain.ledger import TransactionKind
from domain.reports import BetGroup, CashflowRow, GgrRow, ReportPeriod, ReportScope
from tests.fakes import FakeDatabase


def _days(period: ReportPeriod) -> list[date]:
    return [period.since + timedelta(days=n) for n in range(period.days)]


def _day(moment: datetime) -> date:
    return moment.date()  # the fakes' clock is in UTC


class FakeReportReads:
    def __init__(self, db: FakeDatabase, currencies: Sequence[str] = ("XTR",)) -> None:
        self.db = db
        self.currencies = tuple(sorted(currencies))  # the accepted currencies

    def _games(self, scope: ReportScope) -> list[str]:
        return [scope.game] if scope.game else sorted(GAMES)

    def _currencies(self, scope: ReportScope) -> list[str]:
        return [scope.currency] if scope.currency else list(self.currencies)

    def _settled(self, period: ReportPeriod, scope: ReportScope) -> list[Bet]:
        return [
            b
            for b in self.db.state.bets.values()
            if b.state in (BetState.WON, BetState.LOST)
            and b.settled_at is not None
            and period.since <= _day(b.settled_at) < period.until
            and b.game in self._games(scope)
            and b.stake.currency.code in self._currencies(scope)
        ]

    async def gross_gaming_revenue(
        self, period: ReportPeriod, scope: ReportScope
    ) -> Sequence[GgrRow]:
        settled = self._settled(period, scope)
        rows = []
        for day in _days(period):
            for game in self._games(scope):
                for currency in self._currencies(scope):
                    cell = [
                        b
                        for b in settled
                        if b.settled_at is not None
                        and _day(b.settled_at) == day
                        and b.game == game
                        and b.stake.currency.code == currency
                    ]
                    stakes = sum(b.stake.amount for b in cell)
                    wins = sum(b.payout or 0 for b in cell)
                    rows.append(GgrRow(day, game, currency, len(cell), stakes, wins))
        return rows

    async def rtp_data(self, period: ReportPeriod, scope: ReportScope) -> RtpData:
        cells = tuple((g, c) for g in self._games(scope) for c in self._currencies(scope))
        grouped: dict[tuple[str, str, tuple[tuple[str, str], ...], object], list[Bet]] = {}
        for bet in self._settled(period, scope):
            key = (bet.game, bet.stake.currency.code, tuple(sorted(bet.params.items())))
            grouped.setdefault((*key, bet.house_edge), []).append(bet)
        groups = tuple(
            BetGroup(
                game,
                currency,
                dict(params),
                bets[0].house_edge,
                len(bets),
                sum(b.stake.amount for b in bets),
                sum(b.payout or 0 for b in bets),
                sum(b.stake.amount**2 for b in bets),
            )
            for (game, currency, params, _), bets in grouped.items()
        )
        return RtpData(cells, groups)

    async def cashflow(self, period: ReportPeriod, scope: ReportScope) -> Sequence[CashflowRow]:
        state = self.db.state
        wallets = {a.id for a in state.accounts.values() if a.kind is AccountKind.PLAYER_WALLET}
        rows = []
        for day in _days(period):
            for currency in self._currencies(scope):
                moved = {TransactionKind.DEPOSIT: 0, TransactionKind.WITHDRAWAL: 0}
                for _, posted in state.transactions.values():
                    if posted.kind not in moved or _day(posted.created_at) != day:
                        continue
                    moved[posted.kind] += sum(
                        leg.amount.amount
                        for leg in posted.legs
                        if leg.account_id in wallets and leg.amount.currency.code == currency
                    )
                players = {
                    b.player_id
                    for b in state.bets.values()
                    if _day(b.placed_at) == day and b.stake.currency.code == currency
                }
                rows.append(
                    CashflowRow(
                        day,
                        currency,
                        moved[TransactionKind.DEPOSIT],
                        -moved[TransactionKind.WITHDRAWAL],
                        len(players),
                    )
                )
        return rows

    async def outcome_counts(
        self,
        period: ReportPeriod,
        scope: ReportScope,
        bins: Mapping[str, Sequence[int]],
        moduli: Mapping[str, int] | None = None,
    ) -> Mapping[str, Sequence[int]]:
        settled = self._settled(period, ReportScope(scope.currency, None))
        counts = {game: [0] * len(lows) for game, lows in bins.items()}
        for bet in settled:
            values = [] if bet.outcome is None else [bet.outcome]
            if bet.game == "mines":  # counted by every mine, (M - 1) * 25 + tile, as the adapter
                field = self.db.state.mines[bet.id]
                values = [(field.mines - 1) * TILES + tile for tile in field.positions]
            modulus = (moduli or {}).get(bet.game)
            for observed in values if bet.game in bins else []:
                value = observed % modulus if modulus else observed
                counts[bet.game][bisect.bisect_right(bins[bet.game], value) - 1] += 1
        return counts

    async def account_totals(self) -> Sequence[AccountTotal]:
        sums: dict[tuple[str, str], int] = {}
        for account in self.db.state.accounts.values():
            key = (account.currency.code, account.kind.value)
            sums[key] = sums.get(key, 0) + account.balance
        return [AccountTotal(c, k, b) for (c, k), b in sorted(sums.items())]
