"""Provably fair seed pairs in PostgreSQL, server seeds sealed with AES-GCM."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.seed_cipher import SeedCipher, SeedKeyError
from domain.errors import NotFound
from domain.fairness import commitment
from domain.seeds import SeedPair

_COLUMNS = (
    "id, player_id, server_seed_encrypted, server_seed_hash, client_seed, next_nonce,"
    " created_at, revealed_at"
)
_ACTIVE = text(
    f"SELECT {_COLUMNS} FROM seed_pairs WHERE player_id = :player AND revealed_at IS NULL"  # noqa: S608 - a constant column list  # nosec B608
)
_GET = text(f"SELECT {_COLUMNS} FROM seed_pairs WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608
_BY_IDS = text(
    f"SELECT {_COLUMNS} FROM seed_pairs WHERE id = ANY(CAST(:ids AS bigint[]))"  # noqa: S608 - a constant column list  # nosec B608
)
_CREATE = text(
    f"""
    INSERT INTO seed_pairs (player_id, server_seed_encrypted, server_seed_hash, client_seed,
                            created_at)
    VALUES (:player, :sealed, :hash, :client_seed, :now)
    ON CONFLICT (player_id) WHERE revealed_at IS NULL DO NOTHING
    RETURNING {_COLUMNS}
    """  # noqa: S608 - a constant column list  # nosec B608
)
# One statement both reads and advances the nonce; the row lock it takes makes a player's
# concurrent bets queue here, so no two ever share a nonce and none is skipped.
_TAKE_NONCE = text(
    f"""
    UPDATE seed_pairs SET next_nonce = next_nonce + 1
    WHERE player_id = :player AND revealed_at IS NULL
    RETURNING {_COLUMNS}
    """  # noqa: S608 - a constant column list  # nosec B608
)
_RETIRE = text(
    f"""
    UPDATE seed_pairs SET revealed_at = :now
    WHERE player_id = :player AND revealed_at IS NULL
    RETURNING {_COLUMNS}
    """  # noqa: S608 - a constant column list  # nosec B608
)


class SqlSeedPairs:
    def __init__(self, conn: AsyncConnection, cipher: SeedCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    async def active(self, player_id: int) -> SeedPair | None:
        row = (await self._conn.execute(_ACTIVE, {"player": player_id})).first()
        return None if row is None else self._pair(row)

    async def create(
        self, player_id: int, *, server_seed: str, client_seed: str, now: Any
    ) -> SeedPair | None:
        params = {
            "player": player_id,
            "sealed": self._cipher.seal(server_seed, player_id),
            "hash": commitment(server_seed),
            "client_seed": client_seed,
            "now": now,
        }
        row = (await self._conn.execute(_CREATE, params)).first()
        return None if row is None else self._pair(row)

    async def take_nonce(self, player_id: int) -> tuple[SeedPair, int] | None:
        row = (await self._conn.execute(_TAKE_NONCE, {"player": player_id})).first()
        if row is None:
            return None
        pair = self._pair(row)
        return pair, pair.next_nonce - 1

    async def retire(self, player_id: int, *, now: Any) -> SeedPair | None:
        row = (await self._conn.execute(_RETIRE, {"player": player_id, "now": now})).first()
        return None if row is None else self._pair(row)

    async def get(self, seed_pair_id: int) -> SeedPair:
        row = (await self._conn.execute(_GET, {"id": seed_pair_id})).first()
        if row is None:
            raise NotFound(f"no seed pair {seed_pair_id}")
        return self._pair(row)

    async def readable(self, seed_pair_ids: Sequence[int]) -> dict[int, SeedPair]:
        """These pairs by id, for audits; a pair whose seed does not open with this key
        (another key, tampered data) is left out rather than failing the whole read."""
        pairs = {}
        for row in await self._conn.execute(_BY_IDS, {"ids": sorted(set(seed_pair_ids))}):
            with contextlib.suppress(SeedKeyError):
                pairs[row.id] = self._pair(row)
        return pairs

    def _pair(self, row: Any) -> SeedPair:
        return SeedPair(
            id=row.id,
            player_id=row.player_id,
            server_seed=self._cipher.open(bytes(row.server_seed_encrypted), row.player_id),
            server_seed_hash=row.server_seed_hash,
            client_seed=row.client_seed,
            next_nonce=row.next_nonce,
            created_at=row.created_at,
            revealed_at=row.revealed_at,
        )
