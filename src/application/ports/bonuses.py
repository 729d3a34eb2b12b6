"""Bonuses: the granted bonuses and the wagering that counts toward them (docs/bonuses.md)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.bonuses import Bonus, BonusState
from domain.money import Currency


class BonusRepository(Protocol):
    """Granted bonuses. Only `add` creates one and only `save` ends one; the database refuses
    a second active bonus per player and currency, a second bonus per key, any move but from
    active to an end, and deleting a row."""

    async def lock_player(self, player_id: int) -> None:
        """Lock the player until the unit of work ends, so one player's grants are checked and
        recorded one at a time. `NotFound` for an unknown player."""
        ...

    async def by_key(self, key: str) -> Bonus | None:
        """The bonus granted under this caller's key, or None."""
        ...

    async def add(self, bonus: Bonus) -> None:
        """Record a new active bonus: `BonusActive` when the player already has one in its
        currency, `IdempotencyConflict` when its key was taken meanwhile."""
        ...

    async def get(self, bonus_id: uuid.UUID, *, for_update: bool = False) -> Bonus:
        """The bonus, or `NotFound`; `for_update` locks it until the unit of work ends, which is
        how a conversion, a forfeit and an expiry of one bonus are serialised."""
        ...

    async def active_of(
        self, player_id: int, currency: Currency, *, for_update: bool = False
    ) -> Bonus | None:
        """The player's active bonus in `currency` (there is at most one), locked with
        `for_update`."""
        ...

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[Bonus]:
        """The player's bonuses, newest first, at most `limit`."""
        ...

    async def save(self, bonus: Bonus, previous: BonusState) -> None:
        """Persist an end from `previous`; `IllegalTransition` if the stored bonus is no longer
        in that state."""
        ...

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        """Active bonuses whose expiry is at or before `now`, oldest expiry first."""
        ...

    async def active_ids(self, *, after: uuid.UUID | None, limit: int) -> Sequence[uuid.UUID]:
        """Active bonuses' ids in id order, strictly after `after`, at most `limit`."""
        ...

    async def weighted_wagering(self, bonus: Bonus, until: datetime) -> int:
        """The bonus's wagering progress in hundredths of a minor unit: over the player's
        settled (won or lost) bets in its currency placed from its grant to `until` (both
        included), the sum of `contribution(stake, max_stake, the game's contribution)`."""
        ...
