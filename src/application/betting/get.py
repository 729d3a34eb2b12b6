"""One bet as it stands."""

from __future__ import annotations

import uuid

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from application.ports import UnitOfWorkFactory
from domain.errors import NotFound


class GetBet(BetPoster):
    """A bet as it stands, with the player's current balance in its currency."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, bet_id: uuid.UUID) -> BetReceipt:
        async with self._uow() as uow:
            bet = await uow.bets.find(bet_id)
            if bet is None:
                raise NotFound(f"there is no bet {bet_id}")
            return BetReceipt(bet, await self._balance(uow, bet))
