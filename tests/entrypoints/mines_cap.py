"""A mines game played to its payout limit at a door: 12 mines for 1 Star at the default XTR
limit (a bet pays at most 1,000,000 Stars). The 13th and last safe tile would pay 5,148,297x,
so the game may reveal 12 safe tiles and pays at most 396,022 Stars (396,022.8461x, cut).
The doors' tests read the field from the database to press only safe tiles, and what a
refused reveal must leave as it was."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CAPPED_MINES = 12
CAPPED_STAKE = 1
CAP_TILES = 12
CAP_PAYOUT = 396_022


async def positions(engine: AsyncEngine, game_id: uuid.UUID | str) -> list[int]:
    async with engine.connect() as conn:
        row = await conn.execute(
            text("SELECT positions FROM mines_games WHERE id = :id"), {"id": str(game_id)}
        )
        return list(row.scalar_one())


async def safe_tiles(engine: AsyncEngine, game_id: uuid.UUID | str) -> list[int]:
    mined = set(await positions(engine, game_id))
    return [t for t in range(25) if t not in mined]


async def footprint(engine: AsyncEngine, game_id: uuid.UUID | str) -> tuple[Any, ...]:
    """What a step may change: the field, its bet, the bet's postings, the outbox."""
    async with engine.connect() as conn:
        row = await conn.execute(
            text(
                "SELECT m.revealed, m.state, b.state AS bet, b.payout,"
                " (SELECT count(*) FROM ledger_transactions WHERE reference = 'bet:' || b.id)"
                " AS postings, (SELECT count(*) FROM outbox) AS outbox"
                " FROM mines_games m JOIN bets b ON b.id = m.id WHERE m.id = :id"
            ),
            {"id": str(game_id)},
        )
        return tuple(row.one())


async def open_game_of(engine: AsyncEngine, telegram_user_id: int) -> uuid.UUID:
    """The id of the open game of the player Telegram knows by this id."""
    async with engine.connect() as conn:
        row = await conn.execute(
            text(
                "SELECT m.id FROM mines_games m JOIN players p ON p.id = m.player_id"
                " WHERE p.telegram_user_id = :t AND m.state = 'open'"
            ),
            {"t": telegram_user_id},
        )
        return uuid.UUID(str(row.scalar_one()))
