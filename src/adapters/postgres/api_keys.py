"""API keys in PostgreSQL, with a short in-process cache so that authentication does not cost
a database round trip on every call (`application.refreshed_cache`: read again in the background
before it expires, one read at a time, so a busy key never makes calls wait)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports import Clock
from application.refreshed_cache import RefreshedCache
from domain.access import ApiKey
from domain.errors import InvalidRequest

_COLUMNS = (
    "key_id, name, secret_hash, services, created_at, revoked_at, expires_at, caps, daily_caps,"
    " free_round_budget"
)
# A revoked key is seen within this many seconds in every process; the gRPC door remembers an
# authenticated key for one more second (entrypoints/grpc/auth.py): 5 s in all.
CACHE_SECONDS = 4.0
# A key in use is read again in the background once its row is this old, so under load the
# cached row is replaced before it expires and no call waits for the read.
REFRESH_AFTER_SECONDS = 3.0
# The one key of a name not revoked (a partial unique index keeps it one).
_ACTIVE_NAMED = "name = :name AND revoked_at IS NULL"
_BY_ID = f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = :id"  # noqa: S608 - constants  # nosec B608
_ACTIVE = f"SELECT {_COLUMNS} FROM api_keys WHERE {_ACTIVE_NAMED}"  # noqa: S608 - constants  # nosec B608


class SqlApiKeyStore:
    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self._engine = engine
        refresh_after = min(REFRESH_AFTER_SECONDS, cache_seconds)
        self._by_id = RefreshedCache(
            self._read_by_id, max_age=cache_seconds, refresh_after=refresh_after
        )
        self._by_name = RefreshedCache(
            self._read_active, max_age=cache_seconds, refresh_after=refresh_after
        )

    async def add(self, key: ApiKey) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO api_keys (key_id, name, secret_hash, services, created_at,"
                        " expires_at, caps, daily_caps, free_round_budget) VALUES (:key_id,"
                        " :name, :hash, :services, :created_at, :expires_at,"
                        " CAST(:caps AS jsonb), CAST(:daily_caps AS jsonb),"
                        " CAST(:free AS jsonb))"
                    ),
                    {
                        "key_id": key.key_id,
                        "name": key.name,
                        "hash": key.secret_hash,
                        "services": sorted(key.services),
                        "created_at": key.created_at,
                        "expires_at": key.expires_at,
                        "caps": json.dumps(dict(key.caps)),
                        "daily_caps": json.dumps(dict(key.daily_caps)),
                        "free": json.dumps(dict(key.free_round_budget)),
                    },
                )
        except IntegrityError:
            raise InvalidRequest(
                f"an active key named {key.name!r} exists; revoke it first"
            ) from None

    async def find(self, key_id: str) -> ApiKey | None:
        return await self._by_id.get(key_id)

    async def find_active(self, name: str) -> ApiKey | None:
        return await self._by_name.get(name)

    async def _read_by_id(self, key_id: str) -> ApiKey | None:
        return await self._one(_BY_ID, id=key_id)

    async def _read_active(self, name: str) -> ApiKey | None:
        return await self._one(_ACTIVE, name=name)

    async def _one(self, statement: str, **params: str) -> ApiKey | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(text(statement), params)).first()
        return None if row is None else _key(row)

    async def revoke(self, name: str, clock: Clock) -> bool:
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    text(
                        "UPDATE api_keys SET revoked_at = :now"
                        " WHERE name = :name AND revoked_at IS NULL RETURNING key_id"
                    ),
                    {"name": name, "now": clock.now()},
                )
            ).first()
        if row is not None:
            self._by_id.forget(row.key_id)
            self._by_name.forget(name)
        return row is not None

    async def all(self) -> Sequence[ApiKey]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT {_COLUMNS} FROM api_keys ORDER BY name, created_at")  # noqa: S608 - a constant column list  # nosec B608
            )
            return [_key(r) for r in rows]


def _key(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        secret_hash=bytes(row.secret_hash),
        services=frozenset(row.services),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
        caps={code: int(cap) for code, cap in row.caps.items()},
        daily_caps={code: int(cap) for code, cap in row.daily_caps.items()},
        free_round_budget={code: int(cap) for code, cap in row.free_round_budget.items()},
    )
