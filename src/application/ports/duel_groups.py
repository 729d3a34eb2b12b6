"""The groups the bot runs duels in (domain/duel_groups.py), and what their duels and lobbies
brought."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.duel_groups import DuelGroup, GroupDuelStats


class DuelGroupRepository(Protocol):
    async def record(self, group: DuelGroup) -> None:
        """Insert the group, or replace what an earlier check found (the bot added again)."""
        ...

    async def find(self, chat_id: int) -> DuelGroup | None: ...

    async def stats(self, chat_id: int) -> Sequence[GroupDuelStats]:
        """The group's settled duels and lobbies, one entry per currency (none when nothing
        settled): the cut and the owner's part as the settlements posted them."""
        ...
