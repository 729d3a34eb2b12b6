"""A mines game in play: the field beside its bet.

The bet (`domain.bets.Bet`, game "mines") holds the stake, the seeds' proof and, once the game
ends, the outcome and payout; this record holds what the bet cannot: where the mines are
(fixed from the seeds when the game opened) and the tiles the player revealed, in order. Its
id is the bet's. A step never moves money itself: the use case settles the bet when a step
ends the game (a mine, a cash-out, the last safe tile), or voids it when the player takes the
stake back before the first tile (`MinesField.void`)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from fractions import Fraction

from domain.bets import Bet
from domain.errors import IllegalTransition, InvalidRequest, LimitExceeded
from domain.games.base import payout_for
from domain.games.mines import TILES, cash_out_multiplier, check_mine_count, check_tile
from domain.money import Money


class OverPayoutLimit(LimitExceeded):
    """A safe tile would pay over the game's limit: the game stays open, to be cashed out."""

    def __init__(self, message: str, max_payout: Money) -> None:
        super().__init__(message)
        self.max_payout = max_payout


@dataclass(frozen=True, slots=True)
class PayoutCap:
    """What a game may pay, as its bet fixed it when placed: `max_payout` is the largest
    payout within the game's limit (`StakeLimits.check_steps`). A safe tile that would pay
    more is refused, so the player's only move there is to cash out."""

    stake: Money
    house_edge: Fraction
    max_payout: int

    @classmethod
    def of(cls, bet: Bet) -> PayoutCap:
        return cls(bet.stake, bet.house_edge, bet.max_payout)

    def allows(self, multiplier: Fraction) -> bool:
        return payout_for(self.stake.amount, multiplier) <= self.max_payout

    def refusal(self, multiplier: Fraction) -> OverPayoutLimit:
        currency = self.stake.currency
        most = Money(self.max_payout, currency)
        pays = Money(payout_for(self.stake.amount, multiplier), currency)
        return OverPayoutLimit(
            f"the next tile would pay {pays}, over the payout limit, so this game pays at most "
            f"{most}: cash out",
            most,
        )


class MinesState(enum.StrEnum):
    OPEN = "open"
    BUSTED = "busted"  # the last revealed tile was a mine
    CASHED_OUT = "cashed_out"  # by the player, or by revealing the last safe tile
    VOIDED = "voided"  # ended before any tile, its stake returned (`MinesField.void`)

    @property
    def is_final(self) -> bool:
        return self is not MinesState.OPEN


@dataclass(frozen=True, slots=True)
class MinesField:
    id: uuid.UUID  # the bet's id
    player_id: int
    currency: str
    mines: int
    positions: tuple[int, ...]  # the mines, in the shuffle's order
    revealed: tuple[int, ...]  # in the order pressed; when busted, the last is the mine
    state: MinesState
    opened_at: datetime
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        check_mine_count(self.mines)
        if len(self.positions) != self.mines or len(set(self.positions)) != self.mines:
            raise InvalidRequest(f"mines game {self.id}: {self.mines} distinct mines expected")
        for tile in (*self.positions, *self.revealed):
            check_tile(tile)
        if len(set(self.revealed)) != len(self.revealed):
            raise InvalidRequest(f"mines game {self.id}: a tile is revealed once")
        hit = [t for t in self.revealed if t in self.positions]
        busted = self.state is MinesState.BUSTED
        if hit != ([self.revealed[-1]] if busted else []):
            raise IllegalTransition(f"mines game {self.id}: only a busted game shows a mine")
        if self.state is MinesState.VOIDED and self.revealed:
            raise IllegalTransition(f"mines game {self.id}: only a game without tiles is voided")
        if self.state.is_final != (self.finished_at is not None):
            raise IllegalTransition(f"mines game {self.id}: {self.state} with the wrong end")

    @classmethod
    def open(
        cls,
        game_id: uuid.UUID,
        player_id: int,
        currency: str,
        positions: tuple[int, ...],
        at: datetime,
    ) -> MinesField:
        return cls(game_id, player_id, currency, len(positions), positions, (), MinesState.OPEN, at)

    @property
    def safe_count(self) -> int:
        return sum(1 for t in self.revealed if t not in self.positions)

    @property
    def outcome(self) -> int:
        """The bet's outcome: the safe tiles revealed, 0 when the game ended on a mine."""
        return 0 if self.state is MinesState.BUSTED else self.safe_count

    def multiplier(self, house_edge: Fraction) -> Fraction:
        """What a cash-out pays now: 1 before any tile (nothing to cash out yet, and what a
        void returns), 0 busted."""
        if self.state is MinesState.BUSTED:
            return Fraction(0)
        if self.safe_count == 0:
            return Fraction(1)
        return cash_out_multiplier(self.mines, self.safe_count, house_edge)

    def next_multiplier(self, cap: PayoutCap) -> Fraction | None:
        """What a cash-out would pay after one more safe tile; None when the game is over, or
        when that would pay over the game's limit (the game stays open: cash out)."""
        if self.state.is_final:
            return None
        after = cash_out_multiplier(self.mines, self.safe_count + 1, cap.house_edge)
        return after if cap.allows(after) else None

    def reveal(self, tile: int, at: datetime, cap: PayoutCap) -> MinesField:
        """The field after pressing `tile`. Pressing a tile already revealed changes nothing
        (a repeated press, in any state); the last safe tile cashes out by itself. A new tile
        whose safety would pay over the game's limit is refused (`LimitExceeded`) whatever it
        hides, so the refusal tells nothing about the field."""
        check_tile(tile)
        if tile in self.revealed:
            return self
        if self.state.is_final:
            raise IllegalTransition(f"mines game {self.id} is over ({self.state.value})")
        after = cash_out_multiplier(self.mines, self.safe_count + 1, cap.house_edge)
        if not cap.allows(after):
            raise cap.refusal(after)
        revealed = (*self.revealed, tile)
        if tile in self.positions:
            return replace(self, revealed=revealed, state=MinesState.BUSTED, finished_at=at)
        if len(revealed) == TILES - self.mines:
            return replace(self, revealed=revealed, state=MinesState.CASHED_OUT, finished_at=at)
        return replace(self, revealed=revealed)

    def cash_out(self, at: datetime) -> MinesField:
        """The field cashed out. A repeat of a cash-out changes nothing."""
        if self.state is MinesState.CASHED_OUT:
            return self
        if self.state is MinesState.BUSTED:
            raise IllegalTransition(
                f"mines game {self.id} hit a mine; there is nothing to cash out"
            )
        if self.state is MinesState.VOIDED:
            raise IllegalTransition(f"mines game {self.id}: its stake was already returned")
        if self.safe_count == 0:
            raise IllegalTransition(f"mines game {self.id}: reveal a safe tile before cashing out")
        return replace(self, state=MinesState.CASHED_OUT, finished_at=at)

    def void(self, at: datetime) -> MinesField:
        """The field ended before its first tile, its stake to be returned: the player's way
        out of a game they cannot or will not play (a time-out, a self-exclusion or a block
        that started after the stake was taken refuses every tile, and cashing out needs a
        safe tile). Allowed only while no tile is revealed, so it is never a way out of a
        game already under way; and, with no tile revealed, the player knows nothing of the
        field when choosing it, so taking the stake back is worth exactly the stake: no edge
        either way (docs/fairness.md, Mines). A repeat changes nothing."""
        if self.state is MinesState.VOIDED:
            return self
        if self.state.is_final:
            raise IllegalTransition(f"mines game {self.id} is over ({self.state.value})")
        if self.revealed:
            raise IllegalTransition(
                f"mines game {self.id}: a tile is revealed, so the stake is in play (cash out)"
            )
        return replace(self, state=MinesState.VOIDED, finished_at=at)
