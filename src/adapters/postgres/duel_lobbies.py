"""Duel lobbies in PostgreSQL (revision 0046; the group owner's share, revision 0052): one row
per lobby, one per seat, one per die the bot sent. Triggers allow only the domain's
transitions and keep the terms the lobby was opened with; a seat is only ever left, the dice
only ever added."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import refusals_as_domain_errors
from domain.duel_lobbies import Lobby, LobbyRoll, LobbySeat, LobbyState
from domain.errors import IllegalTransition
from domain.money import CurrencyRegistry, Money

_COLUMNS = (
    "id, chat_id, opener_id, currency, stake, game, cut_bps, max_ties, max_seats, state,"
    " winner_id, prize, created_at, deadline, finished_at, owner_share_bps"
)
_INSERT = text(
    f"INSERT INTO duel_lobbies ({_COLUMNS})"  # noqa: S608 - a constant column list  # nosec B608
    " VALUES (:id, :chat_id, :opener_id, :currency, :stake, :game, :cut_bps, :max_ties,"
    " :max_seats, :state, :winner_id, :prize, :created_at, :deadline, :finished_at,"
    " :owner_share_bps)"
    " ON CONFLICT (id) DO NOTHING RETURNING id"
)
_BY_ID = text(f"SELECT {_COLUMNS} FROM duel_lobbies WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_LOCK = text(f"SELECT {_COLUMNS} FROM duel_lobbies WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_STEP = text(
    "UPDATE duel_lobbies SET state = :state, winner_id = :winner_id, prize = :prize,"
    " deadline = :deadline, finished_at = :finished_at WHERE id = :id RETURNING id"
)
_SEATS = text(
    "SELECT seat, player_id, joined_at, left_at FROM duel_lobby_seats WHERE lobby_id = :id"
    " ORDER BY seat"
)
_ADD_SEAT = text(
    "INSERT INTO duel_lobby_seats (lobby_id, seat, player_id, joined_at, left_at)"
    " VALUES (:lobby_id, :seat, :player_id, :joined_at, :left_at)"
)
_LEAVE_SEAT = text(
    "UPDATE duel_lobby_seats SET left_at = :left_at WHERE lobby_id = :lobby_id AND seat = :seat"
)
_ROLLS = text(
    "SELECT round, seat, value, message_id, rolled_at FROM duel_lobby_rolls"
    " WHERE lobby_id = :id ORDER BY round, rolled_at, seat"
)
_ADD_ROLL = text(
    "INSERT INTO duel_lobby_rolls (lobby_id, round, seat, value, message_id, rolled_at)"
    " VALUES (:lobby_id, :round, :seat, :value, :message_id, :rolled_at)"
)
_OVERDUE = text(
    "SELECT id FROM duel_lobbies WHERE state IN ('open', 'rolling')"
    " AND deadline <= :now ORDER BY deadline LIMIT :limit"
)


def _row(lobby: Lobby) -> dict[str, Any]:
    return {
        "id": lobby.id,
        "chat_id": lobby.chat_id,
        "opener_id": lobby.opener_id,
        "currency": lobby.stake.currency.code,
        "stake": lobby.stake.amount,
        "game": lobby.game,
        "cut_bps": lobby.cut_bps,
        "max_ties": lobby.max_ties,
        "max_seats": lobby.max_seats,
        "state": lobby.state.value,
        "winner_id": lobby.winner_id,
        # Kept for the limits' usage (the loss counts the prize), as the domain computed it.
        "prize": lobby.prize.amount if lobby.state is LobbyState.SETTLED else None,
        "created_at": lobby.created_at,
        "deadline": lobby.deadline,
        "finished_at": lobby.finished_at,
        "owner_share_bps": lobby.owner_share_bps,
    }


class SqlLobbies:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def _lobby(self, row: Any) -> Lobby:
        return Lobby(
            id=row.id,
            chat_id=row.chat_id,
            opener_id=row.opener_id,
            stake=Money(row.stake, self._currencies.get(row.currency)),
            game=row.game,
            cut_bps=row.cut_bps,
            max_ties=row.max_ties,
            max_seats=row.max_seats,
            state=LobbyState(row.state),
            created_at=row.created_at,
            deadline=row.deadline,
            seats=tuple(await self._seats(row.id)),
            rolls=tuple(await self._rolls(row.id)),
            winner_id=row.winner_id,
            finished_at=row.finished_at,
            owner_share_bps=row.owner_share_bps,
        )

    async def _seats(self, lobby_id: uuid.UUID) -> Sequence[LobbySeat]:
        rows = await self._conn.execute(_SEATS, {"id": lobby_id})
        return [LobbySeat(r.seat, r.player_id, r.joined_at, r.left_at) for r in rows]

    async def _rolls(self, lobby_id: uuid.UUID) -> Sequence[LobbyRoll]:
        rows = await self._conn.execute(_ROLLS, {"id": lobby_id})
        return [LobbyRoll(r.round, r.seat, r.value, r.message_id, r.rolled_at) for r in rows]

    async def add(self, lobby: Lobby) -> bool:
        if (await self._conn.execute(_INSERT, _row(lobby))).first() is None:
            return False
        for seat in lobby.seats:
            await self._conn.execute(_ADD_SEAT, self._seat_row(lobby.id, seat))
        return True

    @staticmethod
    def _seat_row(lobby_id: uuid.UUID, seat: LobbySeat) -> dict[str, Any]:
        return {
            "lobby_id": lobby_id,
            "seat": seat.number,
            "player_id": seat.player_id,
            "joined_at": seat.joined_at,
            "left_at": seat.left_at,
        }

    async def find(self, lobby_id: uuid.UUID) -> Lobby | None:
        row = (await self._conn.execute(_BY_ID, {"id": lobby_id})).first()
        return None if row is None else await self._lobby(row)

    async def lock(self, lobby_id: uuid.UUID) -> Lobby | None:
        row = (await self._conn.execute(_LOCK, {"id": lobby_id})).first()
        return None if row is None else await self._lobby(row)

    async def save(self, lobby: Lobby) -> None:
        stored_seats = {s.number: s for s in await self._seats(lobby.id)}
        stored_rolls = {(r.round, r.seat) for r in await self._rolls(lobby.id)}
        with refusals_as_domain_errors():  # the triggers': a step the domain refuses
            # The seats and the dice first, the lobby's own step last: the tables' triggers
            # check a seat against the lobby still open, a die against it still rolling.
            for seat in lobby.seats:
                before = stored_seats.get(seat.number)
                if before is None:
                    await self._conn.execute(_ADD_SEAT, self._seat_row(lobby.id, seat))
                elif before.left_at is None and seat.left_at is not None:
                    await self._conn.execute(_LEAVE_SEAT, self._seat_row(lobby.id, seat))
            for roll in lobby.rolls:
                if (roll.round, roll.seat) not in stored_rolls:
                    await self._conn.execute(
                        _ADD_ROLL,
                        {
                            "lobby_id": lobby.id,
                            "round": roll.round,
                            "seat": roll.seat,
                            "value": roll.value,
                            "message_id": roll.message_id,
                            "rolled_at": roll.at,
                        },
                    )
            row = (await self._conn.execute(_STEP, _row(lobby))).first()
        if row is None:
            raise IllegalTransition(f"no lobby {lobby.id}")

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(_OVERDUE, {"now": now, "limit": limit})
        return [row.id for row in rows]
