"""One player's profile: who they are, their wallets, their latest notes."""

from __future__ import annotations

from dataclasses import dataclass

from application.ledger_queries import is_storable_id
from application.ports import (
    PlayerDirectory,
    PlayerNote,
    PlayerSummary,
    WalletBalance,
)
from domain.errors import NotFound

RECENT_NOTES = 10


@dataclass(frozen=True, slots=True)
class PlayerProfile:
    player: PlayerSummary
    balances: tuple[WalletBalance, ...]
    recent_notes: tuple[PlayerNote, ...]  # the latest few, newest first


class GetPlayerProfile:
    """A player with their status (and why), a balance per wallet and the latest notes."""

    def __init__(self, directory: PlayerDirectory) -> None:
        self._directory = directory

    async def __call__(self, player_id: int) -> PlayerProfile:
        player = await self._directory.player(player_id) if is_storable_id(player_id) else None
        if player is None:
            raise NotFound(f"no player with id {player_id}")
        balances = await self._directory.balances(player_id)
        notes = await self._directory.notes(player_id, before_id=None, limit=RECENT_NOTES)
        return PlayerProfile(player, tuple(balances), tuple(notes))
