"""The bankroll report (issue 24): per currency, the house's money and what it owes players
(`domain.bankroll_report`), and for Crypto Pay's assets the money held there, by the books
against the provider's `getBalance` (`CryptoPayBalances`, through the Crypto Pay port).

The provider may be down: its column then says so ("not answered") and the rest of the
report is answered as usual; it never fails the report. Without Crypto Pay configured the
column is empty. Reading the report changes nothing."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.crypto_pay.balances import CryptoPayBalances, ProviderBalance
from application.ports import Clock, ReportReadModel
from domain.bankroll_report import HouseMoney, house_money


class ProviderState(enum.StrEnum):
    AGREE = "agree"
    DIFFERENCE = "difference"
    NOT_ANSWERED = "not answered"


@dataclass(frozen=True, slots=True)
class BankrollLine:
    """One currency: the ledger's side (`money`) and, for a Crypto Pay asset, the money held
    there (`crypto_pay`: books and provider; None for another currency, or no Crypto Pay)."""

    money: HouseMoney
    crypto_pay: ProviderBalance | None = None

    @property
    def crypto_pay_state(self) -> ProviderState | None:
        held = self.crypto_pay
        if held is None:
            return None
        if held.difference is None:
            return ProviderState.NOT_ANSWERED
        return ProviderState.DIFFERENCE if held.difference.amount else ProviderState.AGREE


@dataclass(frozen=True, slots=True)
class Bankroll:
    generated_at: datetime
    lines: tuple[BankrollLine, ...]


class BankrollReport:
    """The report's use case: the ledger's totals through the reports' read model, and, when
    Crypto Pay is configured (`crypto`), its balances against the books."""

    def __init__(
        self, reads: ReportReadModel, clock: Clock, crypto: CryptoPayBalances | None = None
    ) -> None:
        self._reads = reads
        self._clock = clock
        self._crypto = crypto

    async def __call__(self) -> Bankroll:
        generated_at = self._clock.now()
        held: Sequence[ProviderBalance] = ()
        if self._crypto is not None:
            held = await self._crypto()  # a provider down answers None per asset, not raises
        by_asset = {h.books.currency.code: h for h in held}
        totals = await self._reads.account_totals()
        lines = tuple(
            BankrollLine(money, by_asset.get(money.currency))
            for money in house_money(totals, by_asset)
        )
        return Bankroll(generated_at, lines)
