"""What every mines use case answers: the game as the player sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fractions import Fraction

from domain.bets import Bet
from domain.mines import MinesField, MinesState, PayoutCap
from domain.money import Money


@dataclass(frozen=True, slots=True)
class MinesView:
    id: uuid.UUID
    state: MinesState
    stake: Money
    mines: int
    revealed: tuple[int, ...]  # in the order pressed; when busted, the last is the mine
    multiplier: Fraction  # what a cash-out pays now (1 before any tile, 0 busted)
    # After one more safe tile; None once over, or while open when that tile would pay over
    # the game's limit (then cashing out is the only move).
    next_multiplier: Fraction | None
    payout: int | None  # once over (voided: the stake returned)
    mine_positions: tuple[int, ...] | None  # once over, ascending
    balance: Money
    max_payout: Money  # the most this game can pay: its stake's payout limit, capped
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
            next_multiplier=field.next_multiplier(PayoutCap.of(bet)),
            max_payout=Money(bet.max_payout, bet.stake.currency),
            payout=_payout(field, bet) if over else None,
            mine_positions=tuple(sorted(field.positions)) if over else None,
            balance=balance,
            replayed=replayed,
        )

    @property
    def voided(self) -> bool:
        return self.state is MinesState.VOIDED

    @property
    def voidable(self) -> bool:
        """Open with no tile revealed: the stake can be taken back (`VoidMines`)."""
        return self.open and not self.revealed

    @property
    def open(self) -> bool:
        return self.state is MinesState.OPEN

    @property
    def at_limit(self) -> bool:
        """Open, and the next safe tile would pay over the game's limit: cash out."""
        return self.open and self.next_multiplier is None


def _payout(field: MinesField, bet: Bet) -> int | None:
    """What the game paid: a voided game returned its stake (its bet has no payout)."""
    return bet.stake.amount if field.state is MinesState.VOIDED else bet.payout
