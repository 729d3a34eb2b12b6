"""Players: registration, status, notes, standing and KYC."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.players import KycStatus, Player, PlayerStatus
from domain.standing import PlayerStanding


class PlayerRepository(Protocol):
    """Players by their internal id and by their Telegram user id."""

    async def register(
        self,
        telegram_user_id: int,
        *,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> tuple[Player, bool]:
        """Create the player if this Telegram user is new. Returns the player and whether it was
        created by this call; safe under concurrent calls for the same user."""
        ...

    async def get(self, player_id: int) -> Player:
        """The player, or `NotFound`."""
        ...

    async def find_by_telegram_id(self, telegram_user_id: int) -> Player | None: ...

    async def set_status(
        self, player_id: int, status: PlayerStatus, reason: str
    ) -> tuple[PlayerStatus, str | None]:
        """Give the player `status` with its `reason`, locking the row until the unit of work
        ends (concurrent changes of one player queue); returns the status and reason it had
        before. `NotFound` for an unknown player."""
        ...

    async def add_note(self, player_id: int, *, author: str, body: str, now: datetime) -> int:
        """Attach a staff note to the player; returns the note's id."""
        ...

    async def standing(self, player_id: int) -> PlayerStanding:
        """The player's status, terms acceptance and KYC status in one read (no exclusion: the
        responsible-gambling guard adds it under its lock); `NotFound` for an unknown player."""
        ...

    async def set_kyc_status(self, player_id: int, status: KycStatus) -> KycStatus:
        """Give the player `status`, locking the row until the unit of work ends; returns the
        status it had before. `NotFound` for an unknown player."""
        ...
