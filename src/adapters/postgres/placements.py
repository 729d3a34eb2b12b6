"""The reads of a bet placement, in one statement (see `application.ports.PlacementReads`); the
snapshot road (read without locks, write in one statement) is `snapshot_placements`'."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.bets import COLUMNS as BET_COLUMNS
from adapters.postgres.bets import SqlBets
from adapters.postgres.games import GAME_COLUMNS, SqlGameConfigs, game_config
from adapters.postgres.seeds import SqlSeedPairs
from adapters.postgres.snapshot_placements import SnapshotPlacements
from application.ports import (
    BatchPlacementContext,
    PlacementContext,
    PlacementWrite,
)
from domain.accounts import AccountKind
from domain.errors import GameUnavailable
from domain.money import Currency
from domain.players import PlayerStatus
from domain.standing import PlayerStanding

# The guard's lock is a CTE that the select list reads, so it is taken whatever else the
# statement finds. The other reads are plain (no locks), so their order does not matter.
_OPEN = text(
    f"""
    WITH guard AS (
        SELECT player_id FROM responsible_profiles WHERE player_id = :player FOR UPDATE
    )
    SELECT (SELECT count(*) FROM guard) > 0 AS guard_locked,
           (SELECT status FROM players WHERE id = :player) AS player_status,
           EXISTS (SELECT 1 FROM player_preferences
                   WHERE player_id = :player AND terms_accepted_at IS NOT NULL)
               AS terms_accepted,
           (SELECT id FROM accounts WHERE player_id = :player AND currency = :currency
                   AND kind = 'player_wallet') AS wallet_id,
           (SELECT COALESCE(sum(balance), 0) FROM accounts
            WHERE kind = :bankroll AND currency = :currency AND player_id IS NULL) AS bankroll,
           {GAME_COLUMNS},
           b.*
    FROM games g
    LEFT JOIN (SELECT {BET_COLUMNS} FROM bets WHERE id = :bet) b ON true
    WHERE g.code = :game
    """  # noqa: S608 - constant column lists  # nosec B608
)


class SqlPlacements:
    def __init__(
        self,
        conn: AsyncConnection,
        bets: SqlBets,
        seeds: SqlSeedPairs,
        games: SqlGameConfigs,
        road: SnapshotPlacements,
    ) -> None:
        self._conn = conn
        self._bets = bets
        self._seeds = seeds
        self._games = games
        self.road = road

    async def snapshot(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        return await self.road.snapshot(bet_ids, player_ids, currencies, games)

    def defer(self, write: PlacementWrite) -> None:
        self.road.defer(write)

    async def open(
        self, bet_id: uuid.UUID, player_id: int, currency: Currency, game: str
    ) -> PlacementContext:
        params = {
            "bet": bet_id,
            "player": player_id,
            "currency": currency.code,
            "bankroll": AccountKind.HOUSE_BANKROLL.value,
            "game": game,
        }
        row = (await self._conn.execute(_OPEN, params)).first()
        if row is None:
            # No such game, so the lock was not taken either; nothing is placed without it.
            raise GameUnavailable(f"there is no game {game!r}")
        return PlacementContext(
            existing=None if row.id is None else self._bets.from_row(row),
            standing=None
            if row.player_status is None
            else PlayerStanding(player_id, PlayerStatus(row.player_status), row.terms_accepted),
            wallet_id=row.wallet_id,
            config=game_config(
                row.game_code, row.game_enabled, row.game_house_edge, row.game_limits
            ),
            bankroll=int(row.bankroll),
            guard_locked=row.guard_locked,
        )
