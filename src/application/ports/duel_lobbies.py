"""Open duel lobbies in group chats (domain/duel_lobbies.py), their seats and their dice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.duel_lobbies import Lobby


class LobbyRepository(Protocol):
    """Lobbies by id. Only `add` creates one and only `save` changes one; the database allows
    only the domain's transitions (revision 0046)."""

    async def add(self, lobby: Lobby) -> bool:
        """Insert a new lobby with its opener's seat; False (nothing written) when one with
        its id exists."""
        ...

    async def find(self, lobby_id: uuid.UUID) -> Lobby | None: ...

    async def lock(self, lobby_id: uuid.UUID) -> Lobby | None:
        """The lobby under its row lock until the unit of work ends: joins, leaves, a start,
        a die and the expiry job on one lobby are decided one after the other."""
        ...

    async def save(self, lobby: Lobby) -> None:
        """Persist a step of a lobby read with `lock`: its state, deadline, winner, end, the
        seats taken or left and the dice recorded since."""
        ...

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        """Open or rolling lobbies whose deadline has passed, oldest deadline first."""
        ...
