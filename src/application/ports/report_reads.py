"""The aggregates regulatory reports are computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.bankroll_report import AccountTotal
from domain.reports import BetGroup, CashflowRow, GgrRow, ReportPeriod, ReportScope


@dataclass(frozen=True, slots=True)
class RtpData:
    """What the RTP report is computed from: every (game, currency) cell in scope, and the
    settled bets of the period grouped by game, currency, selection and house edge."""

    cells: tuple[tuple[str, str], ...]
    groups: tuple[BetGroup, ...]


class ReportReadModel(Protocol):
    """Aggregates for the reports, each read from one consistent snapshot of the database
    (so a report's rows agree with each other). Nothing here writes.

    Games come from the configured games, currencies from the accepted currencies, both
    narrowed by the scope; days are UTC days; amounts are minor units."""

    async def gross_gaming_revenue(
        self, period: ReportPeriod, scope: ReportScope
    ) -> Sequence[GgrRow]:
        """One row per day × game × currency (zeros included), ordered by day, game and
        currency, over the bets won or lost in the period by settlement time."""
        ...

    async def rtp_data(self, period: ReportPeriod, scope: ReportScope) -> RtpData:
        """The cells in scope, ordered by game and currency, and the bets settled (won or
        lost) in the period, grouped."""
        ...

    async def cashflow(self, period: ReportPeriod, scope: ReportScope) -> Sequence[CashflowRow]:
        """One row per day × currency (zeros included), ordered by day and currency: deposits
        and withdrawals on players' wallets by the journal entry's time, and the distinct
        players who placed a bet that day. The scope's game is not used."""
        ...

    async def outcome_counts(
        self,
        period: ReportPeriod,
        scope: ReportScope,
        bins: Mapping[str, Sequence[int]],
        moduli: Mapping[str, int] | None = None,
    ) -> Mapping[str, Sequence[int]]:
        """For each game in `bins`, how many of its bets won or lost in the period (by
        settlement time) had an outcome in each bin; `bins[game]` are the bins' ascending
        lower bounds (the last bin is open), and the counts follow them. A mines bet is
        counted once per mine of its field, in the range (M - 1) * 25 + tile of an M-mine
        field (`domain.outcome_tests.outcome_counting`). A game in
        `moduli` is counted by its outcome modulo `moduli[game]` (plinko: the first rows'
        path)."""
        ...

    async def account_totals(self) -> Sequence[AccountTotal]:
        """The sum of the balances per currency and account kind (every shard of the
        house's accounts, every player's wallet): the bankroll report's ledger side."""
        ...
