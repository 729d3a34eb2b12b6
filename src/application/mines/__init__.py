"""Mines, a game played in steps, one use case a module:

- `open`: `OpenMines`, a bet placed through `PlaceBet` and its field fixed from the seeds;
- `reveal`: `RevealTile`; `cash_out`: `CashOutMines`; `void`: `VoidMines`, the stake back
  before the first tile (all `steps.MinesStep`, which settles or voids the bet when a step
  ends the game);
- `get`: `GetMines`; `view`: `MinesView`, what they all answer.

The names below are re-exported so that doors import `application.mines`."""

from application.mines.cash_out import CashOutMines, CashOutMinesCommand
from application.mines.get import GetMines
from application.mines.open import OpenMines, OpenMinesCommand
from application.mines.reveal import RevealTile, RevealTileCommand
from application.mines.view import MinesView
from application.mines.void import VoidMines, VoidMinesCommand

__all__ = [
    "CashOutMines",
    "CashOutMinesCommand",
    "GetMines",
    "MinesView",
    "OpenMines",
    "OpenMinesCommand",
    "RevealTile",
    "RevealTileCommand",
    "VoidMines",
    "VoidMinesCommand",
]
