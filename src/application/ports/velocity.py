"""Sliding-window counters of bets and deposits per player."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from domain.velocity import VelocityLimit


class VelocityStoreDown(Exception):
    """The velocity counters could not be reached or did not answer in time."""


class VelocityLimiter(Protocol):
    """Per-player sliding-window counters of bets and deposits, kept in Redis: losing them loses
    only the counts, never money. `application.velocity` decides what a missing answer means
    for each limit (fail open or closed); the limiter only counts."""

    async def hit(self, limit: VelocityLimit, player_id: int) -> timedelta | None:
        """Count one `limit.action` of the player, atomically, unless it would make more than
        `limit.max_count` in the window of `limit.window` ending now. None: counted, it fits.
        Otherwise nothing is counted and the answer is how long until one more would fit.
        Raises `VelocityStoreDown` when the counters cannot answer."""
        ...
