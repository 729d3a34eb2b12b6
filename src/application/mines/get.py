"""A player's mines game as it stands."""

from __future__ import annotations

import uuid

from application.betting.poster import BetPoster
from application.mines.steps import find_game
from application.mines.view import MinesView
from domain.errors import NotFound


class GetMines(BetPoster):
    """A mines game by id, or the player's open game in a currency; `NotFound` when there is
    none (or it is another player's). Reads only."""

    async def __call__(
        self, player_id: int, *, game_id: uuid.UUID | None = None, currency: str | None = None
    ) -> MinesView:
        async with self._uow() as uow:
            if game_id is None:
                if currency is None:
                    raise NotFound("name a mines game or a currency")
                field = await uow.mines.open_for(player_id, currency)
                if field is None:
                    raise NotFound(f"there is no open mines game in {currency}")
                game_id = field.id
            bet, field = await find_game(uow, game_id, player_id)
            return MinesView.of(field, bet, await self._balance(uow, bet))
