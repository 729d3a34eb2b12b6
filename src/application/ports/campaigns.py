"""Campaigns and who redeemed them (docs/bonuses.md, "Campaigns and promo codes")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.campaigns import Campaign, CampaignKind, CampaignState, Redemption
from domain.money import Currency


class CampaignRepository(Protocol):
    async def add(self, campaign: Campaign) -> None:
        """Store a new campaign; a code already taken is `IdempotencyConflict`."""
        ...

    async def get(self, code: str, *, for_update: bool = False) -> Campaign:
        """The campaign (locked for a staff step with `for_update`), or `NotFound`."""
        ...

    async def set_state(
        self, code: str, state: CampaignState, approved_by: str | None = None
    ) -> None: ...

    async def list(self, state: CampaignState | None = None) -> Sequence[Campaign]:
        """Campaigns, newest first."""
        ...

    async def open_of_kind(
        self, kind: CampaignKind, currency: Currency | None, now: datetime
    ) -> Sequence[Campaign]:
        """Active campaigns of a kind (and currency, unless None) whose window holds `now`,
        oldest first."""
        ...

    async def claim(self, redemption: Redemption) -> Redemption | None:
        """Record that the player has the campaign, once: None when this call recorded it
        (the caller then grants), else the redemption that was there first. A concurrent
        claim of the same player waits for the first to commit or roll back."""
        ...

    async def redemption(self, code: str, player_id: int) -> Redemption | None: ...

    async def take_use(self, code: str) -> bool:
        """Count one more player, race-proof: False (nothing counted) when no use is left."""
        ...

    async def set_bonus(self, code: str, player_id: int, bonus_id: str) -> None: ...

    async def redemptions(self, code: str, limit: int = 100) -> Sequence[Redemption]:
        """The campaign's redemptions, newest first."""
        ...

    async def created_since(self, created_by: str, currency: Currency, since: datetime) -> int:
        """The budgets (minor units) of the campaigns `created_by` created since `since` in
        that currency, under that staff member's lock (the four-eyes rule adds them up)."""
        ...

    async def has_deposit(self, player_id: int, other_than: str | None = None) -> bool:
        """Whether a deposit was credited to the player (other than the one whose ledger
        idempotency key is `other_than`: the deposit a match is granted for)."""
        ...
