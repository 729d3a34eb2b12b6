"""Free bets: granted, played and expired (docs/bonuses.md, "Free bets")."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.free_bets import FreeBet
from domain.money import Money


@dataclass(frozen=True, slots=True)
class FreeBetCounts:
    """A campaign's free bets, for its staff view: granted in all, and of them played, won
    (winnings above zero), expired; the winnings granted as bonuses."""

    granted: int
    played: int
    won: int
    expired: int
    winnings: int  # minor units of the campaign's currency


class FreeBetRepository(Protocol):
    """Free bets. Only `add` creates one and only `save` moves one from granted to played or
    expired; the database refuses any other move, a change of what was granted, a nonce of a
    seed pair played twice and deleting a row."""

    async def add(self, free_bets: Sequence[FreeBet]) -> None: ...

    async def get(self, free_bet_id: uuid.UUID, *, for_update: bool = False) -> FreeBet:
        """The free bet, or `NotFound`; `for_update` locks it until the unit of work ends,
        which is how two plays (and a play and the expiry job) of one free bet queue."""
        ...

    async def save(self, free_bet: FreeBet) -> None:
        """Persist a play or an expiry of a granted free bet; `IllegalTransition` if the
        stored one is no longer granted."""
        ...

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[FreeBet]:
        """The player's free bets: granted ones first (soonest expiry first), then the
        latest played or expired; at most `limit`."""
        ...

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        """Granted free bets whose expiry is at or before `now`, oldest expiry first."""
        ...

    async def budget_left(self, code: str) -> Money:
        """What the promotion budget `code` has left, its row locked until the unit of work
        ends: the plays of one campaign's free bets are checked against it one at a time, so
        a win is never granted past the budget (`NotFound` for no such budget)."""
        ...

    async def counts(self, campaign: str) -> FreeBetCounts: ...
