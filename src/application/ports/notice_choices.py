"""A player's notification choices (issue 23): which topics they turned off, and which opt-in
ones (the big-wins feed's consent) they turned on."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.notifications import NoticeChoices, Topic


class NoticeChoiceStore(Protocol):
    """`notice_choices`, in a unit of work."""

    async def of(self, player_id: int) -> NoticeChoices:
        """The player's choices; every topic on for a player who made none, but an opt-in
        one off."""
        ...

    async def choose(self, player_id: int, topic: Topic, on: bool, at: datetime) -> None:
        """Keep one topic on or off (a repeat changes nothing but its time)."""
        ...
