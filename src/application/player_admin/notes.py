"""Staff notes on a player: the list, and a new note (audited)."""

from __future__ import annotations

from dataclasses import dataclass

from application.ledger_queries import (
    DEFAULT_PAGE_SIZE,
    check_page_size,
    check_text,
    decode_id_cursor,
    encode_cursor,
    is_storable_id,
)
from application.player_admin.player_ids import known_player_id
from application.ports import (
    Clock,
    PlayerDirectory,
    PlayerNote,
    UnitOfWorkFactory,
)
from application.staff import Actor
from domain.errors import InvalidField, NotFound
from domain.staff import AuditAction, AuditEntry

MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class NotePage:
    notes: tuple[PlayerNote, ...]
    next_cursor: str | None


class ListPlayerNotes:
    """A player's notes, newest first, a page at a time."""

    def __init__(self, directory: PlayerDirectory) -> None:
        self._directory = directory

    async def __call__(
        self, player_id: int, *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> NotePage:
        limit = check_page_size(limit)
        before = decode_id_cursor(cursor, "note") if cursor else None
        if not is_storable_id(player_id) or await self._directory.player(player_id) is None:
            raise NotFound(f"no player with id {player_id}")
        rows = await self._directory.notes(player_id, before_id=before, limit=limit + 1)
        page = tuple(rows[:limit])
        more = len(rows) > limit
        return NotePage(page, encode_cursor("note", page[-1].id) if more and page else None)


class AddPlayerNote:
    """Attach a note (1-2000 characters) to a player, signed by the acting staff member."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, body: str, actor: Actor) -> PlayerNote:
        player_id, body = known_player_id(player_id), check_text("body", body).strip()
        if not 1 <= len(body) <= MAX_NOTE_LENGTH:
            raise InvalidField("body", f"a note is 1-{MAX_NOTE_LENGTH} characters")
        now = self._clock.now()
        async with self._uow() as uow:
            note_id = await uow.players.add_note(player_id, author=actor.label, body=body, now=now)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.PLAYER_NOTE_ADDED,
                    now,
                    actor.label,
                    f"player:{player_id}",
                    actor.source,
                    after={"note_id": note_id, "body": body},
                )
            )
            await uow.commit()
        return PlayerNote(note_id, player_id, actor.label, body, now)
