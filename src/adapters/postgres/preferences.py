"""Player preferences in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import NotFound
from domain.onboarding import PlayerPreferences

_COLUMNS = "player_id, language, referral_code, terms_accepted_at, referred_by"

_CREATE = text(
    "INSERT INTO player_preferences (player_id, language, referral_code, referred_by)"  # noqa: S608 - a constant column list  # nosec B608
    f" VALUES (:p, :lang, :code, :ref) ON CONFLICT (player_id) DO NOTHING RETURNING {_COLUMNS}"
)


def _prefs(row: Any) -> PlayerPreferences:
    return PlayerPreferences(
        row.player_id, row.language, row.referral_code, row.terms_accepted_at, row.referred_by
    )


class SqlPlayerPreferences:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, player_id: int) -> PlayerPreferences | None:
        row = (
            await self._conn.execute(
                text(f"SELECT {_COLUMNS} FROM player_preferences WHERE player_id = :p"),  # noqa: S608 - a constant column list  # nosec B608
                {"p": player_id},
            )
        ).first()
        return None if row is None else _prefs(row)

    async def create(
        self, player_id: int, *, language: str, referral_code: str, referred_by: int | None
    ) -> PlayerPreferences:
        row = (
            await self._conn.execute(
                _CREATE,
                {"p": player_id, "lang": language, "code": referral_code, "ref": referred_by},
            )
        ).first()
        if row is None:  # created concurrently; the other one wins
            existing = await self.get(player_id)
            assert existing is not None
            return existing
        return _prefs(row)

    async def player_by_referral(self, code: str) -> int | None:
        value = (
            await self._conn.execute(
                text("SELECT player_id FROM player_preferences WHERE referral_code = :c"),
                {"c": code},
            )
        ).scalar()
        return None if value is None else int(value)

    async def accept_terms(self, player_id: int, now: datetime) -> tuple[datetime, bool]:
        # Only a row not yet accepted is updated (and locked): a concurrent first acceptance
        # waits on the lock, then finds the row accepted and reads the winner's time in a
        # statement of its own (read committed: a fresh snapshot that sees the commit).
        recorded: datetime | None = (
            await self._conn.execute(
                text(
                    "UPDATE player_preferences SET terms_accepted_at = :now"
                    " WHERE player_id = :p AND terms_accepted_at IS NULL"
                    " RETURNING terms_accepted_at"
                ),
                {"p": player_id, "now": now},
            )
        ).scalar()
        if recorded is not None:
            return recorded, True
        accepted: datetime | None = (
            await self._conn.execute(
                text("SELECT terms_accepted_at FROM player_preferences WHERE player_id = :p"),
                {"p": player_id},
            )
        ).scalar()
        if accepted is None:
            raise NotFound(f"player {player_id} has no preferences")
        return accepted, False

    async def set_language(self, player_id: int, language: str) -> None:
        await self._conn.execute(
            text("UPDATE player_preferences SET language = :l WHERE player_id = :p"),
            {"p": player_id, "l": language},
        )
