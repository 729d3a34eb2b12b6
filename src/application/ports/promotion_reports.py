"""What the promotion reports are computed from (docs/bonuses.md, "Reports")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.promotion_reports import PromotionFlow
from domain.reports import GgrRow, ReportPeriod, ReportScope


@dataclass(frozen=True, slots=True)
class PromotionData:
    """The gaming revenue and the promotion postings of a period, from one snapshot."""

    revenue: tuple[GgrRow, ...]  # per day × game × currency, as the GGR report reads it
    flows: tuple[PromotionFlow, ...]  # per day × currency × budget × programme × movement


class PromotionReportReads(Protocol):
    """The ledger's promotion postings and the bets' revenue, read together (nothing here
    writes). Days are UTC days; amounts minor units; the scope's currency narrows both, its
    game is not used."""

    async def promotion_data(self, period: ReportPeriod, scope: ReportScope) -> PromotionData:
        """The GGR rows of the period (bets won or lost, by settlement time) and its
        promotion postings by the journal entry's time: grants (into a bonus account:
        granted; into a wallet: paid, by the programme in their metadata), conversions and
        forfeits, each with the budget its metadata names or, for a conversion or forfeit
        that names none, the budget of the grant of its bonus."""
        ...
