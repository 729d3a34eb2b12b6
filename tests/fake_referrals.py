"""In-memory referrals (the adapter's rules): activity read from the fake's bets, deposits,
preferences and payment identities; settlements written once per (referrer, period,
currency)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from domain.accounts import AccountKind
from domain.bets import BetState
from domain.errors import IdempotencyConflict
from domain.ledger import TransactionKind
from domain.referrals import CommissionOutcome, CommissionSettlement, ReferredActivity

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeReferrals:
    def __init__(self, state: _State) -> None:
        self.s = state

    def _referred(self, referrer_id: int | None) -> dict[int, int]:
        return {
            p.player_id: p.referred_by
            for p in self.s.preferences.values()
            if p.referred_by is not None and referrer_id in (None, p.referred_by)
        }

    async def activity(
        self,
        start: datetime,
        end: datetime,
        *,
        referrer_id: int | None = None,
        unsettled_only: bool = False,
    ) -> Sequence[ReferredActivity]:
        referred = self._referred(referrer_id)
        sums: dict[tuple[int, str], list[int]] = {}
        for bet in self.s.bets.values():
            settled = bet.state in (BetState.WON, BetState.LOST) and bet.settled_at is not None
            if bet.player_id in referred and settled and start <= bet.settled_at < end:  # type: ignore[operator]
                row = sums.setdefault((bet.player_id, bet.stake.currency.code), [0, 0, 0])
                row[0] += bet.stake.amount
                row[1] += bet.payout or 0
        for _, posted in self.s.transactions.values():
            if posted.kind is not TransactionKind.DEPOSIT or not start <= posted.created_at < end:
                continue
            for leg in posted.legs:
                if leg.account_kind is AccountKind.PLAYER_WALLET and leg.player_id in referred:
                    row = sums.setdefault((leg.player_id, leg.amount.currency.code), [0, 0, 0])
                    row[2] += leg.amount.amount
        found = []
        for (player, currency), (stakes, payouts, deposits) in sorted(sums.items()):
            referrer = referred[player]
            if unsettled_only and (referrer, start, currency) in self.s.referral_commissions:
                continue
            shared = sorted(
                digest
                for (_, digest), holders in self.s.identities.items()
                if player in holders and referrer in holders
            )
            found.append(
                ReferredActivity(
                    referrer, player, currency, stakes, payouts, deposits, tuple(shared)
                )
            )
        return sorted(found, key=lambda a: (a.referrer_id, a.currency, a.referred_id))

    async def claim(self, referrer_id: int, period_start: datetime, currency: str) -> bool:
        return (referrer_id, period_start, currency) not in self.s.referral_commissions

    async def record(self, settlement: CommissionSettlement) -> None:
        c = settlement.commission
        key = (c.referrer_id, settlement.window.start, c.currency)
        if key in self.s.referral_commissions:
            raise IdempotencyConflict(f"referral commission {key} is settled already")
        self.s.referral_commissions[key] = settlement

    async def referred_count(self, referrer_id: int) -> int:
        return len(self._referred(referrer_id))

    async def paid(self, referrer_id: int, since: datetime | None = None) -> Mapping[str, int]:
        totals: dict[str, int] = {}
        for (referrer, start, currency), s in sorted(self.s.referral_commissions.items()):
            paid = referrer == referrer_id and s.outcome is CommissionOutcome.PAID
            if paid and (since is None or start >= since):
                totals[currency] = totals.get(currency, 0) + s.amount
        return totals
