"""A player id as staff type it: a positive number that fits the database."""

from __future__ import annotations

from application.ledger_queries import is_storable_id
from domain.errors import NotFound


def known_player_id(player_id: int) -> int:
    if not is_storable_id(player_id):
        raise NotFound(f"no player with id {player_id}")
    return player_id
