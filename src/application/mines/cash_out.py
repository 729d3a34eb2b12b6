"""Cash out an open mines game."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.mines.steps import MinesStep
from application.mines.view import MinesView
from domain.standing import Operation


@dataclass(frozen=True, slots=True)
class CashOutMinesCommand:
    player_id: int
    game_id: uuid.UUID
    # The door's request id, for its logs: a cash-out is idempotent by itself (a second one
    # answers the first), so no id is stored.
    request_id: uuid.UUID | None = None


class CashOutMines(MinesStep):
    """Cash out after at least one safe tile: the bet settles at the multiplier of the safe
    tiles revealed. A repeat answers the first cash-out; cashing out a game that hit a mine,
    or before any tile, is an `IllegalTransition`. Allowed whatever the player's standing
    (`Operation.SETTLE`): the stake was taken when the game opened, and collecting the safe
    tiles already revealed moves no new money into play, so a blocked, timed-out or
    self-excluded player can always take it (only revealing more is refused)."""

    async def __call__(self, command: CashOutMinesCommand) -> MinesView:
        now = self._clock.now()
        return await self._step(
            command.game_id,
            command.player_id,
            Operation.SETTLE,
            lambda field, _cap: field.cash_out(now),
        )
