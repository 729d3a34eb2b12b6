"""Referrals: the activity of referred players, and the commissions settled for it
(docs/bonuses.md, "Referrals")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from domain.referrals import CommissionSettlement, ReferredActivity


class ReferralBook(Protocol):
    async def activity(
        self,
        start: datetime,
        end: datetime,
        *,
        referrer_id: int | None = None,
        unsettled_only: bool = False,
    ) -> Sequence[ReferredActivity]:
        """Per referred player and currency, their bets settled (won or lost) and deposits
        into the wallet in [start, end), with the payment identities they share with their
        referrer; of one referrer or of all. `unsettled_only`: leave out the (referrer,
        currency) pairs already settled for the period starting at `start`."""
        ...

    async def claim(self, referrer_id: int, period_start: datetime, currency: str) -> bool:
        """Whether this unit of work may settle the (referrer, period, currency): false when
        it is settled. Serialises claims of one referrer until the unit of work ends, so two
        jobs settling at once take turns and the second finds the first's settlement."""
        ...

    async def record(self, settlement: CommissionSettlement) -> None:
        """Write the settlement (`IdempotencyConflict` if it exists: `claim` first)."""
        ...

    async def referred_count(self, referrer_id: int) -> int:
        """How many players this player referred."""
        ...

    async def paid(self, referrer_id: int, since: datetime | None = None) -> Mapping[str, int]:
        """Commissions paid to the referrer by currency (minor units), of the periods
        starting at or after `since`, or of all."""
        ...
