"""Duels in group chats (domain/duels.py) and their dice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.duels import Duel
from domain.duels_collusion import PairRecord


class DuelRepository(Protocol):
    """Duels by id. Only `add` creates one and only `save` changes one; the database allows
    only the domain's transitions (revision 0045)."""

    async def add(self, duel: Duel) -> bool:
        """Insert a new duel; False (nothing written) when one with its id exists."""
        ...

    async def find(self, duel_id: uuid.UUID) -> Duel | None: ...

    async def lock(self, duel_id: uuid.UUID) -> Duel | None:
        """The duel under its row lock until the unit of work ends: two accepts, a roll and
        the expiry job on one duel are decided one after the other."""
        ...

    async def save(self, duel: Duel) -> None:
        """Persist a step of a duel read with `lock`: its state, deadline, winner, end and
        the dice recorded since."""
        ...

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        """Open duels whose deadline has passed, oldest deadline first."""
        ...

    async def player_named(self, username: str) -> int | None:
        """The player whose Telegram username this is (any case, with or without '@'), if
        they have started the bot."""
        ...

    async def pair_record(self, a: int, b: int, since: datetime) -> PairRecord:
        """The two players' duels since then (collusion's counts): against each other, and
        every duel each played that was accepted or went further; a lobby played by exactly
        two seats counts as a duel between them."""
        ...
