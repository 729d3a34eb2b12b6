"""Who pays: the player behind a Telegram user id, as every step of a Stars deposit finds them."""

from __future__ import annotations

from application.ports import UnitOfWork
from domain.errors import NotFound
from domain.players import Player


async def payer(uow: UnitOfWork, telegram_user_id: int) -> Player:
    player = await uow.players.find_by_telegram_id(telegram_user_id)
    if player is None:
        raise NotFound("this Telegram user has no Croupier account; send /start first")
    return player
