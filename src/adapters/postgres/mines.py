"""Mines fields in PostgreSQL: one row per game beside its bet, inserted when the game opens
and updated by each step until it ends (a trigger refuses anything else)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import refusals_as_domain_errors
from domain.errors import DomainError, IllegalTransition
from domain.mines import MinesField, MinesState

_COLUMNS = "id, player_id, currency, mines, positions, revealed, state, opened_at, finished_at"

# ON CONFLICT without a target: a twin id, or the partial unique index of open games.
_INSERT = text(
    f"INSERT INTO mines_games ({_COLUMNS})"  # noqa: S608 - a constant column list  # nosec B608
    " VALUES (:id, :player_id, :currency, :mines, :positions, :revealed, :state, :opened_at,"
    " :finished_at) ON CONFLICT DO NOTHING RETURNING id"
)
_BY_ID = text(f"SELECT {_COLUMNS} FROM mines_games WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_BY_IDS = text(f"SELECT {_COLUMNS} FROM mines_games WHERE id = ANY(:ids)")  # noqa: S608 - a constant column list  # nosec B608
_OPEN = text(
    f"SELECT {_COLUMNS} FROM mines_games"  # noqa: S608 - a constant column list  # nosec B608
    " WHERE player_id = :player_id AND currency = :currency AND state = 'open'"
)
_STEP = text(
    "UPDATE mines_games SET revealed = :revealed, state = :state, finished_at = :finished_at"
    " WHERE id = :id AND state = 'open' RETURNING id"
)


def _row(field: MinesField) -> dict[str, Any]:
    return {
        "id": field.id,
        "player_id": field.player_id,
        "currency": field.currency,
        "mines": field.mines,
        "positions": list(field.positions),
        "revealed": list(field.revealed),
        "state": field.state.value,
        "opened_at": field.opened_at,
        "finished_at": field.finished_at,
    }


def _field(row: Any) -> MinesField:
    return MinesField(
        id=row.id,
        player_id=row.player_id,
        currency=row.currency,
        mines=row.mines,
        positions=tuple(row.positions),
        revealed=tuple(row.revealed),
        state=MinesState(row.state),
        opened_at=row.opened_at,
        finished_at=row.finished_at,
    )


class SqlMines:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, field: MinesField) -> bool:
        return (await self._conn.execute(_INSERT, _row(field))).first() is not None

    async def find(self, game_id: uuid.UUID) -> MinesField | None:
        row = (await self._conn.execute(_BY_ID, {"id": game_id})).first()
        return None if row is None else _field(row)

    async def open_for(self, player_id: int, currency: str) -> MinesField | None:
        row = (
            await self._conn.execute(_OPEN, {"player_id": player_id, "currency": currency})
        ).first()
        return None if row is None else _field(row)

    async def save(self, field: MinesField) -> None:
        with refusals_as_domain_errors():  # the trigger's: a field that would lose a tile
            row = (await self._conn.execute(_STEP, _row(field))).first()
        if row is None:
            raise IllegalTransition(f"mines game {field.id} is not open")

    async def of_bets(self, game_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MinesField]:
        if not game_ids:
            return {}
        rows = await self._conn.execute(_BY_IDS, {"ids": list(game_ids)})
        found = {}
        for row in rows:
            # A row edited behind the application's back may break the field's rules: it is
            # left out, and reconciliation reports its bet's field as unreadable.
            with contextlib.suppress(DomainError):
                found[row.id] = _field(row)
        return found
