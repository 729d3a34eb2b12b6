"""Staff's reads of players: summaries, balances, notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.players import PlayerStatus


@dataclass(frozen=True, slots=True)
class PlayerSummary:
    id: int
    telegram_user_id: int
    username: str | None
    language_code: str | None
    status: PlayerStatus
    status_reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WalletBalance:
    account_id: int
    currency: str
    amount: int  # minor units


@dataclass(frozen=True, slots=True)
class PlayerNote:
    id: int
    player_id: int
    author: str  # the actor label: "staff:alice"
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PlayerFilter:
    telegram_user_id: int | None = None
    # Exact but in any case, without a leading '@': usernames are sealed at rest and found
    # by a blind index, which can match whole values only.
    username: str | None = None
    status: PlayerStatus | None = None


class PlayerDirectory(Protocol):
    """Reads of players for staff; nothing here writes."""

    async def search(
        self, where: PlayerFilter, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerSummary]:
        """Matching players, newest (highest id) first, with ids below `before_id`."""
        ...

    async def player(self, player_id: int) -> PlayerSummary | None: ...

    async def balances(self, player_id: int) -> Sequence[WalletBalance]:
        """Every wallet of the player, by currency code."""
        ...

    async def notes(
        self, player_id: int, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerNote]:
        """The player's notes, newest first, with ids below `before_id`."""
        ...
