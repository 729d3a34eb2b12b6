"""Take the stake of a mines game back before its first tile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.mines.steps import MinesStep
from application.mines.view import MinesView
from domain.standing import Operation


@dataclass(frozen=True, slots=True)
class VoidMinesCommand:
    player_id: int
    game_id: uuid.UUID
    # The door's request id, for its logs: a void is idempotent by itself (a second one
    # answers the first), so no id is stored.
    request_id: uuid.UUID | None = None


class VoidMines(MinesStep):
    """End a mines game with no tile revealed and return its stake: the field is voided and
    its bet voided with it (`Bet.void`, the stake from bets in play back to the wallet in one
    balanced transaction, `BetVoided` in the outbox). A repeat answers the first void; voiding
    a game with a tile revealed, or one already over, is an `IllegalTransition`.

    Allowed whatever the player's standing (`Operation.SETTLE`, as a cash-out): a time-out,
    self-exclusion or block that starts after the stake was taken refuses every tile, and a
    cash-out needs a safe tile, so without this the stake of a game with no tile would be held
    forever. It is also the player's own choice before the first tile: nothing of the field
    is known then, so the stake back is worth what was staked (no edge either way); the
    bet's nonce stays used, and a voided bet counts as no wager (`domain.withdrawal_policy`)."""

    async def __call__(self, command: VoidMinesCommand) -> MinesView:
        now = self._clock.now()
        return await self._step(
            command.game_id,
            command.player_id,
            Operation.SETTLE,
            lambda field, _cap: field.void(now),
        )
