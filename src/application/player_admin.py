"""Support staff find players, read their profile, block and unblock them with a reason, and
keep notes on them. Every change is audited (who, what, when, from where, before and after)
in the same database transaction as the change itself: both commit, or neither."""

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
from application.ports import Clock, UnitOfWorkFactory

# Moved to application.ports (a port and its values); named here too, for the modules that
# still import them from here.
from application.ports import PlayerDirectory as PlayerDirectory
from application.ports import PlayerFilter as PlayerFilter
from application.ports import PlayerNote as PlayerNote
from application.ports import PlayerSummary as PlayerSummary
from application.ports import WalletBalance as WalletBalance
from application.staff import Actor
from domain.errors import IllegalTransition, InvalidField, InvalidRequest, NotFound
from domain.events import PlayerBlocked, PlayerUnblocked
from domain.players import PlayerStatus, validate_telegram_user_id
from domain.staff import AuditAction, AuditEntry

MAX_REASON_LENGTH = 500
MAX_NOTE_LENGTH = 2000
MAX_USERNAME_QUERY_LENGTH = 64
RECENT_NOTES = 10


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerQuery:
    """A search as it arrives; the use case validates it field by field."""

    telegram_id: int | None = None
    username: str | None = None
    status: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class PlayerPage:
    players: tuple[PlayerSummary, ...]
    next_cursor: str | None


def parse_status(text: str) -> PlayerStatus:
    try:
        return PlayerStatus(text.strip().lower())
    except ValueError:
        statuses = ", ".join(s.value for s in PlayerStatus)
        raise InvalidField("status", f"status is one of {statuses}") from None


class SearchPlayers:
    """Players by Telegram id (exact), username (exact, any case) and status, newest first."""

    def __init__(self, directory: PlayerDirectory) -> None:
        self._directory = directory

    async def __call__(self, query: PlayerQuery) -> PlayerPage:
        telegram_id = None
        if query.telegram_id is not None:
            try:
                telegram_id = validate_telegram_user_id(query.telegram_id)
            except InvalidRequest as error:
                raise InvalidField("telegram_id", error.message) from None
        username = None
        if query.username is not None:
            username = check_text("username", query.username).strip().removeprefix("@")
            if not 1 <= len(username) <= MAX_USERNAME_QUERY_LENGTH:
                raise InvalidField(
                    "username", f"a username is 1-{MAX_USERNAME_QUERY_LENGTH} characters"
                )
        status = parse_status(query.status) if query.status else None
        limit = check_page_size(query.limit)
        before = decode_id_cursor(query.cursor, "pl") if query.cursor else None
        rows = await self._directory.search(
            PlayerFilter(telegram_id, username, status), before_id=before, limit=limit + 1
        )
        page = tuple(rows[:limit])
        more = len(rows) > limit
        return PlayerPage(page, encode_cursor("pl", page[-1].id) if more and page else None)


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


# -- changing --------------------------------------------------------------------------------


def _known(player_id: int) -> int:
    if not is_storable_id(player_id):
        raise NotFound(f"no player with id {player_id}")
    return player_id


def _reason(reason: str) -> str:
    reason = check_text("reason", reason).strip()
    if not 1 <= len(reason) <= MAX_REASON_LENGTH:
        raise InvalidField("reason", f"a reason is 1-{MAX_REASON_LENGTH} characters")
    return reason


class _ChangeStatus:
    target: PlayerStatus
    action: AuditAction
    event: type[PlayerBlocked | PlayerUnblocked]

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, reason: str, actor: Actor) -> PlayerSummary:
        player_id, reason = _known(player_id), _reason(reason)
        now = self._clock.now()
        async with self._uow() as uow:
            before, before_reason = await uow.players.set_status(player_id, self.target, reason)
            if before is self.target:
                # Leaving without commit rolls the write back: nothing changed, nothing audited.
                raise IllegalTransition(f"player {player_id} is already {self.target}")
            uow.raise_events(self.event(player_id, now))
            await uow.audit.record(
                AuditEntry(
                    self.action,
                    now,
                    actor.label,
                    f"player:{player_id}",
                    actor.source,
                    before={"status": before.value, "reason": before_reason},
                    after={"status": self.target.value, "reason": reason},
                )
            )
            player = await uow.players.get(player_id)
            await uow.commit()
        return PlayerSummary(
            player.id,
            player.telegram_user_id,
            player.username,
            player.language_code,
            player.status,
            reason,
            player.created_at,
        )


class BlockPlayer(_ChangeStatus):
    """Block a player, with a mandatory reason (1-500 characters). Blocking a player who is
    already blocked is refused with `IllegalTransition` (409), not repeated silently: the
    first block's reason and audit entry stay the record of why.

    From the commit on, the player's standing refuses bets, deposits and withdrawal requests
    and freezes their pending withdrawals (`domain.standing`), their Mini App session tokens
    are refused (`application.miniapp.ReadPlayerSession`), and the `player.blocked` event,
    written with the block, closes their open live sockets when the relay publishes it."""

    target = PlayerStatus.BLOCKED
    action = AuditAction.PLAYER_BLOCKED
    event = PlayerBlocked


class UnblockPlayer(_ChangeStatus):
    """Lift a block, with a mandatory reason (1-500 characters). Unblocking an active player
    is refused with `IllegalTransition` (409)."""

    target = PlayerStatus.ACTIVE
    action = AuditAction.PLAYER_UNBLOCKED
    event = PlayerUnblocked


class AddPlayerNote:
    """Attach a note (1-2000 characters) to a player, signed by the acting staff member."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, body: str, actor: Actor) -> PlayerNote:
        player_id, body = _known(player_id), check_text("body", body).strip()
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
