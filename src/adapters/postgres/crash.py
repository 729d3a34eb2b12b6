"""Crash's rounds and seats in PostgreSQL (revision 0026), and the round driver's lock.

The services never read the chain's links: a round's hash comes from `crash_start_round` /
`crash_round_hash`, the owner's functions, once the round has started."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.postgres.errors import sqlstate, to_domain_error
from application.ports import RoundSeating
from domain.crash_rounds import CashOut, CrashChain, CrashRefusal, CrashRound, CrashSeat, RoundPhase

log = logging.getLogger(__name__)

# The advisory lock only one round driver holds ("croupier" "crash", as a number).
CRASH_DRIVER_LOCK_KEY: Final = 0x6372_6F75_6372_6173
# The transaction lock a placement takes on (round, currency) before summing its exposure.
_EXPOSURE_LOCK_SPACE: Final = 0x6372_6173

_ROUND_COLUMNS = """id, chain_id, number, phase, betting_ends_at, started_at, crashed_at,
    crash_point, round_hash, interrupted"""
_SEAT_COLUMNS = """bet_id, round_id, player_id, currency, target, exposure, cashed_out_at,
    cashed_out_ms"""

_CHAIN_COLUMNS = "id, end_hash, salt, length, next_round"
_ACTIVE_CHAIN = text(
    f"SELECT {_CHAIN_COLUMNS} FROM crash_chains"  # noqa: S608  # nosec B608
    " WHERE next_round <= length ORDER BY id DESC LIMIT 1"
)
_CHAIN = text(f"SELECT {_CHAIN_COLUMNS} FROM crash_chains WHERE id = :id")  # noqa: S608  # nosec B608
_OPEN = text("SELECT crash_open_round(:chain, :ends)")
_START = text("SELECT started_at, round_hash FROM crash_start_round(:id)")
_HASH = text("SELECT crash_round_hash(:id)")
_FIND = text(f"SELECT {_ROUND_COLUMNS} FROM crash_rounds WHERE id = :id")  # noqa: S608  # nosec B608
_FIND_SHARE = text(f"SELECT {_ROUND_COLUMNS} FROM crash_rounds WHERE id = :id FOR SHARE")  # noqa: S608  # nosec B608
_LATEST = text(f"SELECT {_ROUND_COLUMNS} FROM crash_rounds ORDER BY id DESC LIMIT 1")  # noqa: S608  # nosec B608
_UNFINISHED = text(
    f"SELECT {_ROUND_COLUMNS} FROM crash_rounds WHERE phase <> 'crashed' ORDER BY id"  # noqa: S608  # nosec B608
)
_FINISH = text(
    "UPDATE crash_rounds SET phase = 'crashed', crashed_at = :crashed_at,"
    " crash_point = :crash_point, round_hash = :round_hash, interrupted = :interrupted"
    " WHERE id = :id AND phase = 'running'"
)
_ELAPSED = text(
    "SELECT floor(extract(epoch FROM clock_timestamp() - CAST(:since AS timestamptz)) * 1000)"
    "::bigint"
)
_ADD_SEAT = text(
    "INSERT INTO crash_bets (bet_id, round_id, player_id, currency, target, exposure)"
    " VALUES (:bet_id, :round_id, :player_id, :currency, :target, :exposure)"
    " ON CONFLICT (bet_id) DO NOTHING RETURNING bet_id"
)
_SEAT = text(f"SELECT {_SEAT_COLUMNS} FROM crash_bets WHERE bet_id = :id")  # noqa: S608  # nosec B608
_SEAT_FOR_UPDATE = text(f"SELECT {_SEAT_COLUMNS} FROM crash_bets WHERE bet_id = :id FOR UPDATE")  # noqa: S608  # nosec B608
_SEATS = text(
    f"SELECT {_SEAT_COLUMNS} FROM crash_bets WHERE round_id = :round"  # noqa: S608  # nosec B608
    " AND (CAST(:player AS bigint) IS NULL OR player_id = :player) ORDER BY created_at, bet_id"
)
_EXPOSURE_LOCK = text("SELECT pg_advisory_xact_lock(:space, hashtext(:round || ':' || :currency))")
_EXPOSURE = text(
    "SELECT coalesce(sum(exposure), 0) FROM crash_bets WHERE round_id = :round"
    " AND currency = :currency"
)
# The newest round, whether it takes bets by PostgreSQL's clock, the players' seats in it and its
# exposure per currency: what a batch of bets is decided on (`PlaceRoundBet`), one plain read.
_SEATING = text(
    f"SELECT {_ROUND_COLUMNS},"  # noqa: S608  # nosec B608 - column names, no values
    " phase = 'betting' AND betting_ends_at > clock_timestamp() AS taking_bets,"
    " (SELECT coalesce(jsonb_agg(jsonb_build_array(b.bet_id, b.player_id, b.currency,"
    "   b.target, b.exposure, b.cashed_out_at, b.cashed_out_ms)), '[]')"
    "  FROM crash_bets b WHERE b.round_id = r.id"
    "  AND b.player_id = ANY(CAST(:players AS bigint[])))::text AS seats,"
    " (SELECT coalesce(jsonb_object_agg(e.currency, e.total), '{}') FROM"
    "  (SELECT b.currency, sum(b.exposure) AS total FROM crash_bets b"
    "   WHERE b.round_id = r.id GROUP BY b.currency) e)::text AS exposure"
    " FROM crash_rounds r ORDER BY id DESC LIMIT 1"
)
_SEATS_FOR_CASH_OUT = text(
    f"SELECT {_SEAT_COLUMNS} FROM crash_bets"  # noqa: S608  # nosec B608 - column names, no values
    " WHERE bet_id = ANY(CAST(:ids AS uuid[])) ORDER BY bet_id FOR UPDATE"
)
_CASH_OUTS = text(
    "UPDATE crash_bets b SET cashed_out_at = x.at, cashed_out_ms = x.ms"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:ats AS bigint[]), CAST(:mss AS bigint[]))"
    " AS x(id, at, ms) WHERE b.bet_id = x.id AND b.cashed_out_at IS NULL"
)
_CASH_OUT = text(
    "UPDATE crash_bets SET cashed_out_at = :at, cashed_out_ms = :ms"
    " WHERE bet_id = :id AND cashed_out_at IS NULL"
)


def round_from_row(row: Any) -> CrashRound:
    return CrashRound(
        number=int(row.number),
        chain_id=int(row.chain_id),
        phase=RoundPhase(row.phase),
        betting_ends_at=row.betting_ends_at,
        started_at=row.started_at,
        crashed_at=row.crashed_at,
        crash_point=None if row.crash_point is None else int(row.crash_point),
        round_hash=row.round_hash,
        id=int(row.id),
        interrupted=bool(row.interrupted),
    )


def chain_from_row(row: Any) -> CrashChain:
    return CrashChain(int(row.id), row.end_hash, row.salt, int(row.length), int(row.next_round))


def seat_from_row(row: Any) -> CrashSeat:
    cash_out = None
    if row.cashed_out_at is not None:
        cash_out = CashOut(int(row.cashed_out_at), int(row.cashed_out_ms))
    return CrashSeat(
        bet_id=row.bet_id,
        round_id=int(row.round_id),
        player_id=int(row.player_id),
        currency=row.currency,
        target=None if row.target is None else int(row.target),
        exposure=int(row.exposure),
        cash_out=cash_out,
    )


class SqlCrashRounds:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _execute(self, statement: TextClause, params: dict[str, Any]) -> CursorResult[Any]:
        """A statement whose functions or trigger raise our SQLSTATEs, as domain errors."""
        try:
            return await self._conn.execute(statement, params)
        except DBAPIError as error:
            domain = to_domain_error(error)
            if domain is None:
                raise
            raise domain from error

    async def active_chain(self) -> CrashChain | None:
        row = (await self._conn.execute(_ACTIVE_CHAIN)).first()
        return None if row is None else chain_from_row(row)

    async def chain(self, chain_id: int) -> CrashChain | None:
        row = (await self._conn.execute(_CHAIN, {"id": chain_id})).first()
        return None if row is None else chain_from_row(row)

    async def open_round(self, chain_id: int, betting_ends_at: datetime) -> CrashRound:
        round_id = (
            await self._execute(_OPEN, {"chain": chain_id, "ends": betting_ends_at})
        ).scalar_one()
        found = await self.find(int(round_id))
        assert found is not None
        return found

    async def start_round(self, round_id: int) -> tuple[CrashRound, str]:
        row = (await self._execute(_START, {"id": round_id})).one()
        found = await self.find(round_id)
        assert found is not None
        return found, row.round_hash

    async def round_hash(self, round_id: int) -> str:
        return str((await self._execute(_HASH, {"id": round_id})).scalar_one())

    async def find(self, round_id: int, *, share: bool = False) -> CrashRound | None:
        row = (await self._conn.execute(_FIND_SHARE if share else _FIND, {"id": round_id})).first()
        return None if row is None else round_from_row(row)

    async def latest(self) -> CrashRound | None:
        row = (await self._conn.execute(_LATEST)).first()
        return None if row is None else round_from_row(row)

    async def unfinished(self) -> Sequence[CrashRound]:
        return [round_from_row(row) for row in await self._conn.execute(_UNFINISHED)]

    async def finish(self, crashed: CrashRound, *, interrupted: bool) -> None:
        await self._execute(
            _FINISH,
            {
                "id": crashed.id,
                "crashed_at": crashed.crashed_at,
                "crash_point": crashed.crash_point,
                "round_hash": crashed.round_hash,
                "interrupted": interrupted,
            },
        )

    async def elapsed_ms(self, since: datetime) -> int:
        return int((await self._conn.execute(_ELAPSED, {"since": since})).scalar_one())

    async def add_seat(self, seat: CrashSeat) -> bool:
        try:
            added = await self._conn.execute(
                _ADD_SEAT,
                {
                    "bet_id": seat.bet_id,
                    "round_id": seat.round_id,
                    "player_id": seat.player_id,
                    "currency": seat.currency,
                    "target": seat.target,
                    "exposure": seat.exposure,
                },
            )
        except IntegrityError as error:  # a twin bet of the player won the seat (the rule's race)
            if sqlstate(error) != "23505":
                raise
            raise CrashRefusal(
                "one_bet_a_round",
                f"you already have a bet in {seat.currency} in this crash round; one bet a round",
            ) from error
        return added.first() is not None

    async def seat(self, bet_id: uuid.UUID, *, for_update: bool = False) -> CrashSeat | None:
        row = (
            await self._conn.execute(_SEAT_FOR_UPDATE if for_update else _SEAT, {"id": bet_id})
        ).first()
        return None if row is None else seat_from_row(row)

    async def seats(self, round_id: int, *, player_id: int | None = None) -> Sequence[CrashSeat]:
        rows = await self._conn.execute(_SEATS, {"round": round_id, "player": player_id})
        return [seat_from_row(row) for row in rows]

    async def exposure(self, round_id: int, currency: str) -> int:
        params = {"round": str(round_id), "currency": currency}
        await self._conn.execute(_EXPOSURE_LOCK, {"space": _EXPOSURE_LOCK_SPACE, **params})
        total = await self._conn.execute(_EXPOSURE, {"round": round_id, "currency": currency})
        return int(total.scalar_one())

    async def record_cash_out(self, bet_id: uuid.UUID, cash_out: CashOut) -> None:
        await self._conn.execute(
            _CASH_OUT, {"id": bet_id, "at": cash_out.multiplier, "ms": cash_out.ms}
        )

    async def seats_for_cash_out(self, bet_ids: Sequence[uuid.UUID]) -> Sequence[CrashSeat]:
        rows = await self._conn.execute(_SEATS_FOR_CASH_OUT, {"ids": list(bet_ids)})
        return [seat_from_row(row) for row in rows]

    async def record_cash_outs(self, cash_outs: Mapping[uuid.UUID, CashOut]) -> None:
        ids = list(cash_outs)
        await self._conn.execute(
            _CASH_OUTS,
            {
                "ids": ids,
                "ats": [cash_outs[i].multiplier for i in ids],
                "mss": [cash_outs[i].ms for i in ids],
            },
        )

    async def seating(self, player_ids: Sequence[int]) -> RoundSeating:
        row = (await self._conn.execute(_SEATING, {"players": sorted(set(player_ids))})).first()
        if row is None:
            return RoundSeating(None, False, (), {})
        seats = [
            CrashSeat(
                bet_id=uuid.UUID(bet_id),
                round_id=int(row.id),
                player_id=player_id,
                currency=currency,
                target=target,
                exposure=exposure,
                cash_out=None if at is None else CashOut(at, ms),
            )
            for bet_id, player_id, currency, target, exposure, at, ms in json.loads(row.seats)
        ]
        exposure = {c: int(total) for c, total in json.loads(row.exposure).items()}
        return RoundSeating(round_from_row(row), bool(row.taking_bets), seats, exposure)


class SqlLeaderLock:
    """A session advisory lock on a connection of its own, held while the block runs."""

    def __init__(self, engine: AsyncEngine, *, key: int = CRASH_DRIVER_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[bool]:
        conn = await self._engine.connect()
        try:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            ).scalar_one()
            if not got:
                yield False
                return
            self._conn = conn
            try:
                yield True
            finally:
                self._conn = None
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                except Exception:
                    log.warning("could not release the crash driver's lock", exc_info=True)
                    await conn.invalidate()
        finally:
            await conn.close()

    async def still_held(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            await conn.execute(text("SELECT 1"))
        except Exception:
            log.warning("the crash driver's lock connection is gone", exc_info=True)
            return False
        return True
