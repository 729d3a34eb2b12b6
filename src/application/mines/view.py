"""What every mines use case answers: the game as the player sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fractions import Fraction

from domain.bets import Bet
from domain.mines import MinesField, MinesState
from domain.money import Money


@dataclass(frozen=True, slots=True)
class MinesView:
    id: uuid.UUID
    state: MinesState
    stake: Money
    mines: int
    revealed: tuple[int, ...]  # in the order pressed; when busted, the last is the mine
    multiplier: Fraction  # what a cash-out pays now (1 before any tile, 0 busted)
    next_multiplier: Fraction | None  # after one more safe tile; None once over
    payout: int | None  # once over
    mine_positions: tuple[int, ...] | None  # once over, ascending
    balance: Money
    replayed: bool = False  # the step had been taken before: nothing changed

    @classmethod
    def of(
        cls, field: MinesField, bet: Bet, balance: Money, *, replayed: bool = False
    ) -> MinesView:
        over = field.state.is_final
        return cls(
            id=field.id,
            state=field.state,
            stake=bet.stake,
            mines=field.mines,
            revealed=field.revealed,
            multiplier=(
                bet.multiplier
                if over and bet.multiplier is not None
                else field.multiplier(bet.house_edge)
            ),
            next_multiplier=field.next_multiplier(bet.house_edge),
            payout=bet.payout if over else None,
            mine_positions=tuple(sorted(field.positions)) if over else None,
            balance=balance,
            replayed=replayed,
        )

    @property
    def open(self) -> bool:
        return self.state is MinesState.OPEN
