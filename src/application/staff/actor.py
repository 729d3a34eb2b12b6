"""Who is acting and from where, as the audit log records it."""

from __future__ import annotations

from dataclasses import dataclass

from domain.staff import StaffMember


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting and from where, as the audit log records it."""

    label: str  # "staff:alice", "player:42", "service:slots-provider", "cli", "system"
    source: str = ""

    @classmethod
    def staff(cls, member: StaffMember, source: str = "") -> Actor:
        return cls(f"staff:{member.username}", source)

    @classmethod
    def player(cls, player_id: int) -> Actor:
        """The player acting for themselves (the bot, the Mini App)."""
        return cls(f"player:{player_id}")

    @classmethod
    def service(cls, name: str) -> Actor:
        """An internal service, by the name of the API key it called with."""
        return cls(f"service:{name}")
