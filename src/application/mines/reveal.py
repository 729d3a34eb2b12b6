"""Reveal a tile of an open mines game."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.mines.steps import MinesStep
from application.mines.view import MinesView
from domain.standing import Operation


@dataclass(frozen=True, slots=True)
class RevealTileCommand:
    player_id: int
    game_id: uuid.UUID
    tile: int  # 0-24, row * 5 + column
    # The door's request id, for its logs: a reveal is idempotent by its tile (pressing a
    # revealed tile again changes nothing), so no id is stored.
    request_id: uuid.UUID | None = None


class RevealTile(MinesStep):
    """Reveal a tile: a mine ends the game and loses the bet; the last safe tile cashes out by
    itself. Pressing a tile already revealed (a repeat, a double press) answers the game as it
    stands, whatever happened since; a new tile on a finished game is an `IllegalTransition`,
    and one whose safety would pay over the game's payout limit a `LimitExceeded` (the game
    stays open: the player cashes out).
    A new tile is gambling on, so it follows the player's standing as a bet does
    (`Operation.PLAY_ON`: refused when blocked, without the terms, timed out or
    self-excluded; the refusal writes nothing and the game stays open to be cashed out)."""

    async def __call__(self, command: RevealTileCommand) -> MinesView:
        now = self._clock.now()
        return await self._step(
            command.game_id,
            command.player_id,
            Operation.PLAY_ON,
            lambda field, cap: field.reveal(command.tile, now, cap),
        )
