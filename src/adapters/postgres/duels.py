"""Duels in PostgreSQL (revision 0045): one row per duel, one row per die the bot sent. A
trigger allows only the domain's transitions; the dice are append-only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.errors import refusals_as_domain_errors
from adapters.postgres.personal import username_index
from domain.duels import Duel, DuelState, Roll, Seat
from domain.duels_collusion import PairRecord
from domain.errors import IllegalTransition
from domain.money import CurrencyRegistry, Money

_COLUMNS = (
    "id, chat_id, challenger_id, challenged_id, currency, stake, game, cut_bps, max_ties,"
    " state, winner_id, created_at, deadline, finished_at, owner_share_bps"
)
_INSERT = text(
    f"INSERT INTO duels ({_COLUMNS})"  # noqa: S608 - a constant column list  # nosec B608
    " VALUES (:id, :chat_id, :challenger_id, :challenged_id, :currency, :stake, :game,"
    " :cut_bps, :max_ties, :state, :winner_id, :created_at, :deadline, :finished_at,"
    " :owner_share_bps)"
    " ON CONFLICT (id) DO NOTHING RETURNING id"
)
_BY_ID = text(f"SELECT {_COLUMNS} FROM duels WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_LOCK = text(f"SELECT {_COLUMNS} FROM duels WHERE id = :id FOR UPDATE")  # noqa: S608 - a constant column list  # nosec B608
_ROLLS = text(
    "SELECT round, seat, value, message_id, rolled_at FROM duel_rolls WHERE duel_id = :id"
    " ORDER BY round, seat = 'challenged'"
)
_STEP = text(
    "UPDATE duels SET state = :state, winner_id = :winner_id, deadline = :deadline,"
    " finished_at = :finished_at WHERE id = :id RETURNING id"
)
_ADD_ROLL = text(
    "INSERT INTO duel_rolls (duel_id, round, seat, value, message_id, rolled_at)"
    " VALUES (:duel_id, :round, :seat, :value, :message_id, :rolled_at)"
)
_OVERDUE = text(
    "SELECT id FROM duels WHERE state IN ('challenged', 'accepted', 'rolling')"
    " AND deadline <= :now ORDER BY deadline LIMIT :limit"
)
# A duel counts once accepted (a declined or expired challenge was never played); a lobby
# played by exactly two seats (revision 0046) is a duel in all but name and counts as one:
# chip dumping through two-seat lobbies is seen as through duels. A lobby of more seats is not
# a coin toss between two players, and is not counted (docs/duels.md, "Collusion").
_PLAYED = "state IN ('accepted', 'rolling', 'settled', 'refunded')"
_PAIR = text(
    f"""
    WITH games AS (
        SELECT challenger_id AS p1, challenged_id AS p2, winner_id
        FROM duels
        WHERE created_at >= :since AND {_PLAYED}
          AND (challenger_id IN (:a, :b) OR challenged_id IN (:a, :b))
        UNION ALL
        SELECT min(s.player_id), max(s.player_id), l.winner_id
        FROM duel_lobbies l
        JOIN duel_lobby_seats s ON s.lobby_id = l.id AND s.left_at IS NULL
        WHERE l.created_at >= :since AND l.state IN ('rolling', 'settled', 'refunded')
          AND EXISTS (SELECT 1 FROM duel_lobby_seats m
                      WHERE m.lobby_id = l.id AND m.player_id IN (:a, :b) AND m.left_at IS NULL)
        GROUP BY l.id, l.winner_id
        HAVING count(*) = 2
    )
    SELECT
        count(*) FILTER (WHERE between_them) AS between,
        count(*) FILTER (WHERE between_them AND winner_id = :a) AS a_wins,
        count(*) FILTER (WHERE between_them AND winner_id = :b) AS b_wins,
        count(*) FILTER (WHERE :a IN (p1, p2)) AS a_total,
        count(*) FILTER (WHERE :b IN (p1, p2)) AS b_total
    FROM (SELECT *, (p1 IN (:a, :b) AND p2 IN (:a, :b)) AS between_them
          FROM games WHERE p1 IN (:a, :b) OR p2 IN (:a, :b)) d
    """  # noqa: S608 - a constant condition  # nosec B608
)
_NAMED = text("SELECT id FROM players WHERE username_index = :index ORDER BY id LIMIT 1")


def _row(duel: Duel) -> dict[str, Any]:
    return {
        "id": duel.id,
        "chat_id": duel.chat_id,
        "challenger_id": duel.challenger_id,
        "challenged_id": duel.challenged_id,
        "currency": duel.stake.currency.code,
        "stake": duel.stake.amount,
        "game": duel.game,
        "cut_bps": duel.cut_bps,
        "max_ties": duel.max_ties,
        "state": duel.state.value,
        "winner_id": duel.winner_id,
        "created_at": duel.created_at,
        "deadline": duel.deadline,
        "finished_at": duel.finished_at,
        "owner_share_bps": duel.owner_share_bps,
    }


class SqlDuels:
    def __init__(
        self, conn: AsyncConnection, currencies: CurrencyRegistry, personal: PersonalDataCipher
    ) -> None:
        self._conn = conn
        self._currencies = currencies
        self._personal = personal

    async def _duel(self, row: Any) -> Duel:
        return Duel(
            id=row.id,
            chat_id=row.chat_id,
            challenger_id=row.challenger_id,
            challenged_id=row.challenged_id,
            stake=Money(row.stake, self._currencies.get(row.currency)),
            game=row.game,
            cut_bps=row.cut_bps,
            max_ties=row.max_ties,
            state=DuelState(row.state),
            created_at=row.created_at,
            deadline=row.deadline,
            rolls=tuple(await self._stored_rolls(row.id)),
            winner_id=row.winner_id,
            finished_at=row.finished_at,
            owner_share_bps=row.owner_share_bps,
        )

    async def add(self, duel: Duel) -> bool:
        return (await self._conn.execute(_INSERT, _row(duel))).first() is not None

    async def find(self, duel_id: uuid.UUID) -> Duel | None:
        row = (await self._conn.execute(_BY_ID, {"id": duel_id})).first()
        return None if row is None else await self._duel(row)

    async def lock(self, duel_id: uuid.UUID) -> Duel | None:
        row = (await self._conn.execute(_LOCK, {"id": duel_id})).first()
        return None if row is None else await self._duel(row)

    async def save(self, duel: Duel) -> None:
        recorded = {(r.round, r.seat) for r in await self._stored_rolls(duel.id)}
        with refusals_as_domain_errors():  # the trigger's: a transition the domain refuses
            row = (await self._conn.execute(_STEP, _row(duel))).first()
            for roll in duel.rolls:
                if (roll.round, roll.seat) not in recorded:
                    await self._conn.execute(
                        _ADD_ROLL,
                        {
                            "duel_id": duel.id,
                            "round": roll.round,
                            "seat": roll.seat.value,
                            "value": roll.value,
                            "message_id": roll.message_id,
                            "rolled_at": roll.at,
                        },
                    )
        if row is None:
            raise IllegalTransition(f"no duel {duel.id}")

    async def _stored_rolls(self, duel_id: uuid.UUID) -> Sequence[Roll]:
        rows = await self._conn.execute(_ROLLS, {"id": duel_id})
        return [Roll(r.round, Seat(r.seat), r.value, r.message_id, r.rolled_at) for r in rows]

    async def overdue(self, now: datetime, limit: int) -> Sequence[uuid.UUID]:
        rows = await self._conn.execute(_OVERDUE, {"now": now, "limit": limit})
        return [row.id for row in rows]

    async def player_named(self, username: str) -> int | None:
        index = username_index(self._personal, username)
        value = (await self._conn.execute(_NAMED, {"index": index})).scalar()
        return value if isinstance(value, int) else None

    async def pair_record(self, a: int, b: int, since: datetime) -> PairRecord:
        row = (await self._conn.execute(_PAIR, {"a": a, "b": b, "since": since})).one()
        return PairRecord(a, b, row.between, row.a_wins, row.b_wins, row.a_total, row.b_total)
