"""Admin API, players: search, profile with balances, block / unblock with a reason, notes.

Reading needs any staff role; changing a player needs `support` (admins always may). Every
change is audited in the same database transaction as the change."""

from __future__ import annotations

from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from application.ledger_queries import (
    DEFAULT_PAGE_SIZE,
)
from application.player_admin import (
    AddPlayerNote,
    BlockPlayer,
    GetPlayerProfile,
    ListPlayerNotes,
    PlayerQuery,
    SearchPlayers,
    UnblockPlayer,
)
from application.ports import PlayerNote, PlayerSummary
from application.staff import Actor
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires

SUPPORT = requires(Role.SUPPORT)


# -- wire types ------------------------------------------------------------------------------


class PlayerView(msgspec.Struct):
    id: int
    telegram_user_id: int
    username: str | None
    language_code: str | None
    status: str
    status_reason: str | None
    created_at: datetime


class BalanceView(msgspec.Struct):
    account_id: int
    currency: str
    amount: int  # minor units


class NoteView(msgspec.Struct):
    id: int
    author: str
    body: str
    created_at: datetime


class PlayerPageView(msgspec.Struct):
    players: list[PlayerView]
    next_cursor: str | None


class ProfileView(msgspec.Struct):
    player: PlayerView
    balances: list[BalanceView]
    recent_notes: list[NoteView]


class NotePageView(msgspec.Struct):
    notes: list[NoteView]
    next_cursor: str | None


class ReasonRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class NoteRequest(msgspec.Struct, forbid_unknown_fields=True):
    body: str


def player_view(player: PlayerSummary) -> PlayerView:
    return PlayerView(
        player.id,
        player.telegram_user_id,
        player.username,
        player.language_code,
        player.status.value,
        player.status_reason,
        player.created_at,
    )


def note_view(note: PlayerNote) -> NoteView:
    return NoteView(note.id, note.author, note.body, note.created_at)


class PlayersController(Controller):
    path = "/api/v1/players"
    tags = ["players"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get("/", summary="Search players by Telegram id, username (exact, any case) and status")
    @inject
    async def search(
        self,
        search: FromDishka[SearchPlayers],
        telegram_id: FromQuery[int | None] = None,
        username: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE_SIZE,
    ) -> PlayerPageView:
        page = await search(PlayerQuery(telegram_id, username, status, cursor, limit))
        return PlayerPageView([player_view(p) for p in page.players], page.next_cursor)

    @get("/{player_id:int}", summary="A player with balances per currency and recent notes")
    @inject
    async def profile(
        self, player_id: FromPath[int], load: FromDishka[GetPlayerProfile]
    ) -> ProfileView:
        found = await load(player_id)
        return ProfileView(
            player_view(found.player),
            [BalanceView(b.account_id, b.currency, b.amount) for b in found.balances],
            [note_view(n) for n in found.recent_notes],
        )

    @post(
        "/{player_id:int}/block",
        summary="Block a player (a reason is required; already blocked is 409)",
        guards=[SUPPORT],
        status_code=200,
    )
    @inject
    async def block(
        self,
        player_id: FromPath[int],
        data: JSONBody[ReasonRequest],
        actor: NamedDependency[Actor],
        block: FromDishka[BlockPlayer],
    ) -> PlayerView:
        return player_view(await block(player_id, data.reason, actor))

    @post(
        "/{player_id:int}/unblock",
        summary="Unblock a player (a reason is required; not blocked is 409)",
        guards=[SUPPORT],
        status_code=200,
    )
    @inject
    async def unblock(
        self,
        player_id: FromPath[int],
        data: JSONBody[ReasonRequest],
        actor: NamedDependency[Actor],
        unblock: FromDishka[UnblockPlayer],
    ) -> PlayerView:
        return player_view(await unblock(player_id, data.reason, actor))

    @get("/{player_id:int}/notes", summary="A player's staff notes, newest first")
    @inject
    async def notes(
        self,
        player_id: FromPath[int],
        notes: FromDishka[ListPlayerNotes],
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE_SIZE,
    ) -> NotePageView:
        page = await notes(player_id, cursor=cursor, limit=limit)
        return NotePageView([note_view(n) for n in page.notes], page.next_cursor)

    @post(
        "/{player_id:int}/notes",
        summary="Add a staff note to a player",
        guards=[SUPPORT],
        status_code=201,
    )
    @inject
    async def add_note(
        self,
        player_id: FromPath[int],
        data: JSONBody[NoteRequest],
        actor: NamedDependency[Actor],
        add: FromDishka[AddPlayerNote],
    ) -> NoteView:
        return note_view(await add(player_id, data.body, actor))
