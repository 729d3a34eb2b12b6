"""Game configuration in PostgreSQL: the games and game_limits tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import GameUnavailable, InvalidRequest
from domain.games.catalog import GAMES, GameConfig, StakeLimits

_SELECT = text(
    """
    SELECT g.code, g.enabled, g.house_edge, g.bonus_contribution_pct,
           COALESCE(jsonb_object_agg(l.currency,
               jsonb_build_array(l.min_stake, l.max_stake, l.max_payout))
               FILTER (WHERE l.currency IS NOT NULL), '{}'::jsonb) AS limits
    FROM games g LEFT JOIN game_limits l ON l.game = g.code
    WHERE g.code = ANY(CAST(:codes AS text[]))
    GROUP BY g.code ORDER BY g.code
    """
)


class SqlGameConfigs:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, code: str) -> GameConfig:
        config = (await self.of([code])).get(code)
        if config is None:
            raise GameUnavailable(f"there is no game {code!r}")
        return config

    async def of(self, codes: Sequence[str]) -> dict[str, GameConfig]:
        """The configurations of these games, in code order (an unknown code is left out)."""
        rows = await self._conn.execute(_SELECT, {"codes": sorted(set(codes))})
        return {r.code: _config(r) for r in rows if r.code in GAMES}

    async def all(self) -> Sequence[GameConfig]:
        return list((await self.of(list(GAMES))).values())

    async def save(self, config: GameConfig, now: datetime) -> None:
        edge = Decimal(config.house_edge.numerator) / Decimal(config.house_edge.denominator)
        if edge != edge.quantize(Decimal("0.000001")):
            raise InvalidRequest("a house edge has at most six decimals")
        await self._conn.execute(
            text(
                "UPDATE games SET enabled = :enabled, house_edge = :edge, updated_at = :now,"
                " bonus_contribution_pct = :contribution WHERE code = :code"
            ),
            {
                "enabled": config.enabled,
                "edge": edge,
                "now": now,
                "code": config.code,
                "contribution": config.contribution_pct,
            },
        )
        for currency, limits in config.limits.items():
            await self._conn.execute(
                text(
                    "INSERT INTO game_limits (game, currency, min_stake, max_stake, max_payout)"
                    " VALUES (:game, :currency, :min, :max, :payout)"
                    " ON CONFLICT (game, currency) DO UPDATE SET min_stake = EXCLUDED.min_stake,"
                    " max_stake = EXCLUDED.max_stake, max_payout = EXCLUDED.max_payout"
                ),
                {
                    "game": config.code,
                    "currency": currency,
                    "min": limits.min_stake,
                    "max": limits.max_stake,
                    "payout": limits.max_payout,
                },
            )


# The game's columns and limits as one row, for queries that read a game with other things.
GAME_COLUMNS = """g.code AS game_code, g.enabled AS game_enabled, g.house_edge AS game_house_edge,
    (SELECT COALESCE(jsonb_object_agg(l.currency,
        jsonb_build_array(l.min_stake, l.max_stake, l.max_payout)), '{}'::jsonb)
     FROM game_limits l WHERE l.game = g.code) AS game_limits"""


def _config(row: Any) -> GameConfig:
    return game_config(
        row.code, row.enabled, row.house_edge, row.limits, row.bonus_contribution_pct
    )


def game_config(
    code: str,
    enabled: bool,
    house_edge: Any,
    limits: dict[str, Any],
    bonus_contribution_pct: int | None = None,
) -> GameConfig:
    """A game's configuration from its columns (`GAME_COLUMNS`, or the repository's own)."""
    if code not in GAMES:
        raise GameUnavailable(f"there is no game {code!r}")
    return GameConfig(
        code=code,
        enabled=enabled,
        house_edge=Fraction(Decimal(house_edge)),
        limits={c: StakeLimits(*values) for c, values in limits.items()},
        bonus_contribution_pct=bonus_contribution_pct,
    )
