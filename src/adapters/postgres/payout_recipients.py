"""Who receives a player's Crypto Pay transfer: the player's Telegram user id
(`adapters.crypto_pay_payouts.PayoutRecipients`)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import NotFound

_TELEGRAM_ID = text("SELECT telegram_user_id FROM players WHERE id = :id")


class PlayerTelegramIds:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def telegram_user_id(self, player_id: int) -> int:
        async with self._engine.connect() as conn:
            found = (await conn.execute(_TELEGRAM_ID, {"id": player_id})).scalar_one_or_none()
        if found is None:
            raise NotFound(f"no player {player_id}")
        return int(found)
