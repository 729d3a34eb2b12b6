"""Re-seal personal data under the ring's sealing key: the second half of a key rotation.

Put a new key first in CROUPIER_PII_KEYS (the old one stays in the ring, so everything still
opens), restart, then run `croupier pii rotate`: every value sealed under another key is
opened and sealed again, a batch per transaction, so it can run beside live traffic and be
stopped and started again. When it reports nothing left, the old key can leave the ring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import destination_place, totp_place, username_place


@dataclass(frozen=True)
class _Column:
    table: str
    column: str
    place_key: str  # the row value the place is made of
    place: Callable[[Any], str]


# Constant identifiers only: they are put into the statements below, never values.
_COLUMNS = (
    _Column("players", "username_sealed", "telegram_user_id", username_place),
    _Column("withdrawals", "destination_sealed", "id", destination_place),
    _Column("staff", "totp_sealed", "id", totp_place),
    _Column("staff", "totp_pending_sealed", "id", totp_place),
)


async def stale_counts(engine: AsyncEngine, cipher: PersonalDataCipher) -> dict[str, int]:
    """How many values each column still holds under a key other than the sealing one."""
    counts = {}
    async with engine.connect() as conn:
        for c in _COLUMNS:
            counts[f"{c.table}.{c.column}"] = (
                await conn.execute(
                    text(
                        f"SELECT count(*) FROM {c.table} WHERE {c.column} IS NOT NULL"  # noqa: S608 - constant identifiers  # nosec B608
                        f" AND get_byte({c.column}, 1) <> :current"
                    ),
                    {"current": cipher.current},
                )
            ).scalar_one()
    return counts


async def rotate(
    engine: AsyncEngine, cipher: PersonalDataCipher, batch: int = 500
) -> dict[str, int]:
    """Re-seal every stale value; returns how many were re-sealed per column."""
    done = {}
    for c in _COLUMNS:
        key = f"{c.table}.{c.column}"
        done[key] = 0
        pick = text(
            f"SELECT {c.place_key} AS place_key, {c.column} AS sealed FROM {c.table}"  # noqa: S608 - constant identifiers  # nosec B608
            f" WHERE {c.column} IS NOT NULL AND get_byte({c.column}, 1) <> :current"
            f" ORDER BY {c.place_key} LIMIT :batch FOR UPDATE SKIP LOCKED"
        )
        update = text(
            f"UPDATE {c.table} SET {c.column} = :sealed WHERE {c.place_key} = :place_key"  # noqa: S608 - constant identifiers  # nosec B608
        )
        while True:
            async with engine.begin() as conn:
                rows = list(await conn.execute(pick, {"current": cipher.current, "batch": batch}))
                if not rows:
                    break
                params = []
                for row in rows:
                    place = c.place(row.place_key)
                    plain = cipher.open(row.sealed, place)
                    params.append({"place_key": row.place_key, "sealed": cipher.seal(plain, place)})
                await conn.execute(update, params)
            done[key] += len(rows)
    return done


class SqlPersonalDataRotation:
    """`PersonalDataRotation` on the engine and the key ring of this process."""

    def __init__(self, engine: AsyncEngine, cipher: PersonalDataCipher) -> None:
        self._engine = engine
        self._cipher = cipher

    async def stale_counts(self) -> dict[str, int]:
        return await stale_counts(self._engine, self._cipher)

    async def rotate(self) -> dict[str, int]:
        return await rotate(self._engine, self._cipher)
