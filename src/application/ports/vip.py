"""The VIP book: a player's settled turnover (levels and rakeback are computed from it, never
stored) and their rakeback claims (docs/bonuses.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from domain.money import Currency
from domain.rakeback import RakebackClaim, Turnover


class VipBook(Protocol):
    async def turnover(
        self, player_id: int, currency: Currency, since: datetime, until: datetime
    ) -> Turnover:
        """The player's won and lost bets in `currency` settled after `since`, up to and
        including `until`: their stakes and the sum of stake x house edge."""
        ...

    async def lock_claims(self, player_id: int, currency: Currency) -> None:
        """Serialize this player's rakeback claims in `currency` until the unit of work ends
        (two concurrent claims read the watermark one after the other)."""
        ...

    async def last_claim(self, player_id: int, currency: Currency) -> RakebackClaim | None:
        """The player's latest claim in `currency` (the watermark), or None."""
        ...

    async def claim(self, claim_id: uuid.UUID) -> RakebackClaim | None:
        """The claim with this id, whoever made it, or None."""
        ...

    async def add_claim(self, claim: RakebackClaim) -> None:
        """Record a paid claim. A second claim after the same previous one (a race the lock
        lost) raises `IdempotencyConflict`: nothing of its unit of work may commit."""
        ...
