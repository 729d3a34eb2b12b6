"""A player's settings kept beside the player record."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.onboarding import PlayerPreferences


class PreferencesRepository(Protocol):
    """Per-player settings kept beside the player record: language, the 18+/terms gate,
    referral codes."""

    async def get(self, player_id: int) -> PlayerPreferences | None: ...

    async def create(
        self, player_id: int, *, language: str, referral_code: str, referred_by: int | None
    ) -> PlayerPreferences:
        """Create them unless they exist (then return the existing ones)."""
        ...

    async def player_by_referral(self, code: str) -> int | None: ...

    async def accept_terms(self, player_id: int, now: datetime) -> tuple[datetime, bool]:
        """Record the terms as accepted at `now` unless they already were; returns the first
        acceptance time and whether this call recorded it. A concurrent first acceptance waits
        for this one's unit of work and then finds it. The preferences must exist (`NotFound`
        otherwise)."""
        ...

    async def set_language(self, player_id: int, language: str) -> None: ...
