"""The catalogue of aggregators' games in PostgreSQL: the aggregator_games table (0056)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.aggregator_games import AggregatorGame, ListedGame

_COLUMNS = (
    "aggregator, game_code, name, category, product, provider_enabled, operator_enabled,"
    " listed, last_seen_at"
)
# One statement for the whole list: new rows come in with the operator's switch off (the
# column's default); known rows take the aggregator's facts and keep the operator's switch.
# `xmax = 0` is true only for a row this statement inserted.
_UPSERT = text(
    """
    INSERT INTO aggregator_games AS g (aggregator, game_code, name, category, product,
        provider_enabled, listed, first_seen_at, last_seen_at)
    SELECT :aggregator, l.game_code, l.name, l.category, l.product, l.enabled, true, :now, :now
    FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]), CAST(:categories AS text[]),
                CAST(:products AS text[]), CAST(:enabled AS boolean[]))
         AS l (game_code, name, category, product, enabled)
    ON CONFLICT (aggregator, game_code) DO UPDATE SET
        name = EXCLUDED.name, category = EXCLUDED.category, product = EXCLUDED.product,
        provider_enabled = EXCLUDED.provider_enabled, listed = true,
        last_seen_at = GREATEST(g.last_seen_at, EXCLUDED.last_seen_at)
    RETURNING (xmax = 0) AS inserted
    """
)
_DELIST = text(
    """
    UPDATE aggregator_games SET listed = false
    WHERE aggregator = :aggregator AND listed AND NOT (game_code = ANY(CAST(:codes AS text[])))
    """
)


def _game(row: Any) -> AggregatorGame:
    return AggregatorGame(
        aggregator=row.aggregator,
        game_code=row.game_code,
        name=row.name,
        category=row.category,
        product=row.product,
        provider_enabled=row.provider_enabled,
        operator_enabled=row.operator_enabled,
        listed=row.listed,
        last_seen_at=row.last_seen_at,
    )


class SqlAggregatorGames:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def refresh(
        self, aggregator: str, listed: Sequence[ListedGame], now: datetime
    ) -> tuple[int, int]:
        codes = [g.game_code for g in listed]
        added = 0
        if listed:
            rows = await self._conn.execute(
                _UPSERT,
                {
                    "aggregator": aggregator,
                    "now": now,
                    "codes": codes,
                    "names": [g.name for g in listed],
                    "categories": [g.category for g in listed],
                    "products": [g.product for g in listed],
                    "enabled": [g.enabled for g in listed],
                },
            )
            added = sum(1 for r in rows if r.inserted)
        delisted = await self._conn.execute(_DELIST, {"aggregator": aggregator, "codes": codes})
        return added, delisted.rowcount

    async def get(self, aggregator: str, game_code: str) -> AggregatorGame | None:
        return await self._one(aggregator, game_code, "")

    async def lock(self, aggregator: str, game_code: str) -> AggregatorGame | None:
        return await self._one(aggregator, game_code, " FOR UPDATE")

    async def _one(self, aggregator: str, game_code: str, locking: str) -> AggregatorGame | None:
        row = (
            await self._conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM aggregator_games"  # noqa: S608  # nosec B608 - constant columns
                    f" WHERE aggregator = :a AND game_code = :c{locking}"
                ),
                {"a": aggregator, "c": game_code},
            )
        ).first()
        return None if row is None else _game(row)

    async def set_operator_enabled(self, aggregator: str, game_code: str, enabled: bool) -> None:
        await self._conn.execute(
            text(
                "UPDATE aggregator_games SET operator_enabled = :e"
                " WHERE aggregator = :a AND game_code = :c"
            ),
            {"a": aggregator, "c": game_code, "e": enabled},
        )

    async def list(self, aggregator: str | None = None) -> Sequence[AggregatorGame]:
        rows = await self._conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM aggregator_games"  # noqa: S608  # nosec B608 - constant columns
                " WHERE CAST(:a AS text) IS NULL OR aggregator = :a"
                " ORDER BY aggregator, name, game_code"
            ),
            {"a": aggregator},
        )
        return [_game(r) for r in rows]

    async def launchable(self) -> Sequence[AggregatorGame]:
        rows = await self._conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM aggregator_games"  # noqa: S608  # nosec B608 - constant columns
                " WHERE listed AND provider_enabled AND operator_enabled"
                " ORDER BY aggregator, name, game_code"
            )
        )
        return [_game(r) for r in rows]
