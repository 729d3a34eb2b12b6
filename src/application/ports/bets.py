"""Bets by id, and the metrics counted as their outcomes become known."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.bets import Bet
from domain.money import Currency


class BetRepository(Protocol):
    """Bets by id. Only `add` creates one and only `save` changes one, from placed to final."""

    async def add(self, bet: Bet) -> bool:
        """Insert the bet; False (and nothing written) when a bet with its id already exists,
        even one that a concurrent transaction is still writing: the call waits for it."""
        ...

    async def find(self, bet_id: uuid.UUID, *, for_update: bool = False) -> Bet | None:
        """The bet, or None. `for_update` locks it until the unit of work ends, which is how
        concurrent settlements of one bet are serialised."""
        ...

    async def find_many(self, bet_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, Bet]:
        """The bets of these ids that exist, in one read (no locks)."""
        ...

    async def save(self, bet: Bet) -> None:
        """Persist a placed bet's transition to won, lost or voided."""
        ...

    async def save_many(self, bets: Sequence[Bet]) -> None:
        """`save` for many placed bets in one statement; `NotFound` (nothing saved) when one
        of them is no longer placed."""
        ...

    async def recent(self, player_id: int, *, limit: int) -> Sequence[Bet]:
        """The player's latest bets, newest first."""
        ...


class BetMetrics(Protocol):
    """Counts bets as their outcomes become known, for monitoring (Prometheus in production).

    The use cases call it once per bet and outcome, after their unit of work committed, and
    never for a replay. It sits on the path of every bet: an implementation must be quick and
    must neither block nor raise."""

    def placed(self, bet: Bet) -> None:
        """A new bet was placed: already won or lost (provably fair), or waiting for its
        dice (`placed`)."""
        ...

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        """A bet was refused and nothing moved; `reason` is the domain error's code. `game`
        is what the caller asked for, which may name no game."""
        ...

    def settled(self, bet: Bet) -> None:
        """A bet placed earlier was settled (won, lost) or voided."""
        ...
