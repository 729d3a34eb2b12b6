"""The groups the bot runs duels in (docs/duels.md, "The groups"): who owns each one, whether
an admin chose the bot, and what its duels brought in.

A group is recorded when the bot is added (an admin's choice, checked with `getChatMember`),
or, for a group the bot was in before groups were recorded, on its first `/duel`
(`getChatAdministrators`: the bot can ask only where it is a member). The owner is the
chat's `creator` as Telegram gave it at that check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.money import Money


@dataclass(frozen=True, slots=True)
class DuelGroup:
    chat_id: int
    title: str
    # The chat's creator's Telegram id, or None when it could not be found.
    owner_telegram_id: int | None
    # True: an admin added the bot; False: someone else did (the bot left); None: not known
    # (the group predates the record: it was verified on its first duel).
    added_by_admin: bool | None
    checked_at: datetime

    @property
    def serves_duels(self) -> bool:
        """Duels are played only in a group whose owner is known and that no non-admin chose."""
        return self.owner_telegram_id is not None and self.added_by_admin is not False

    def is_owner(self, telegram_user_id: int) -> bool:
        return self.owner_telegram_id == telegram_user_id


@dataclass(frozen=True, slots=True)
class GroupDuelStats:
    """The settled duels and lobbies of one group in one currency: how many of each, what was
    staked (both stakes of a duel, every seat's of a lobby), the whole cut, and the part of it
    paid to the group's owner (duels and lobbies together)."""

    settled: int
    staked: Money
    cut: Money
    owner_share: Money
    # The settled lobbies (`settled` counts the duels).
    lobbies: int = 0

    @property
    def house_part(self) -> Money:
        return self.cut - self.owner_share
