"""The VIP book in memory: turnover summed from the fake's bets, claims by id (the adapter's
rules: one claim after another, never two after the same one)."""

from __future__ import annotations

import uuid
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from domain.bets import BetState
from domain.errors import IdempotencyConflict
from domain.money import Currency, Money
from domain.rakeback import RakebackClaim, Turnover

if TYPE_CHECKING:
    from tests.fakes import _State

_SETTLED = (BetState.WON, BetState.LOST)


class FakeVipBook:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def turnover(
        self, player_id: int, currency: Currency, since: datetime, until: datetime
    ) -> Turnover:
        bets = [
            bet
            for bet in self.s.bets.values()
            if bet.player_id == player_id
            and bet.stake.currency == currency
            and bet.state in _SETTLED
            and bet.settled_at is not None
            and since < bet.settled_at <= until
        ]
        return Turnover(
            Money(sum(bet.stake.amount for bet in bets), currency),
            sum((bet.stake.amount * bet.house_edge for bet in bets), Fraction(0)),
            len(bets),
        )

    async def lock_claims(self, player_id: int, currency: Currency) -> None:
        return None  # one unit of work at a time in memory

    async def last_claim(self, player_id: int, currency: Currency) -> RakebackClaim | None:
        mine = [
            c
            for c in self.s.rakeback_claims.values()
            if c.player_id == player_id and c.currency == currency
        ]
        return max(mine, key=lambda c: c.until, default=None)

    async def claim(self, claim_id: uuid.UUID) -> RakebackClaim | None:
        return self.s.rakeback_claims.get(claim_id)

    async def add_claim(self, claim: RakebackClaim) -> None:
        for other in self.s.rakeback_claims.values():
            same_chain = (other.player_id, other.currency, other.previous) == (
                claim.player_id,
                claim.currency,
                claim.previous,
            )
            if same_chain or other.id == claim.id:
                raise IdempotencyConflict(f"claim {claim.id} follows a claimed period")
        self.s.rakeback_claims[claim.id] = claim
