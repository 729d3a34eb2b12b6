"""Support staff find players, read their profile, block and unblock them with a reason, and
keep notes on them. Every change is audited (who, what, when, from where, before and after)
in the same database transaction as the change itself: both commit, or neither.

One use case a module: `search`, `profile`, `notes`, `status` (block, unblock)."""

from application.player_admin.notes import MAX_NOTE_LENGTH, AddPlayerNote, ListPlayerNotes, NotePage
from application.player_admin.profile import RECENT_NOTES, GetPlayerProfile, PlayerProfile
from application.player_admin.search import (
    MAX_USERNAME_QUERY_LENGTH,
    PlayerPage,
    PlayerQuery,
    SearchPlayers,
    parse_status,
)
from application.player_admin.status import MAX_REASON_LENGTH, BlockPlayer, UnblockPlayer

__all__ = [
    "MAX_NOTE_LENGTH",
    "MAX_REASON_LENGTH",
    "MAX_USERNAME_QUERY_LENGTH",
    "RECENT_NOTES",
    "AddPlayerNote",
    "BlockPlayer",
    "GetPlayerProfile",
    "ListPlayerNotes",
    "NotePage",
    "PlayerPage",
    "PlayerProfile",
    "PlayerQuery",
    "SearchPlayers",
    "UnblockPlayer",
    "parse_status",
]
