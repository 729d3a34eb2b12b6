"""A player's Mini App session tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PlayerSessions(Protocol):
    """Short-lived signed bearer tokens for a player's Mini App session."""

    def issue(self, player_id: int, now: datetime) -> tuple[str, datetime]:
        """The token and when it expires."""
        ...

    def read(self, token: str, now: datetime) -> int | None:
        """The player id of a valid, unexpired token; None otherwise."""
        ...
