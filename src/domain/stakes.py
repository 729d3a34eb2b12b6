"""The stakes a player can pick for a game right now, and the stake controls players expect
(½, ×2, min, max, a typed amount) as arithmetic on them.

A picker offers stakes inside `StakeRange`: the game's limits in the currency
(`StakeLimits.min_stake` .. `max_stake`) and never more than the player's balance. What a bet
can pay (`max_payout`, the bankroll's cover) depends on the option picked after the stake, so
the bet's own use case checks it, with the balance and the player's limits, when the bet is
placed: the range is what is worth offering, the placement stays the judge."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.games.catalog import StakeLimits
from domain.money import Money


class StakeStep(enum.StrEnum):
    """A stake control: what it does to the current stake is computed here, never taken from
    the button."""

    HALF = "half"
    DOUBLE = "double"
    MIN = "min"
    MAX = "max"


class StakeProblem(enum.StrEnum):
    """Why an amount is not a stake the player can pick now."""

    BELOW_MIN = "below_min"  # under the game's smallest stake
    ABOVE_MAX = "above_max"  # over the game's largest stake
    ABOVE_BALANCE = "above_balance"  # within the game's limits, but more than the balance


@dataclass(frozen=True, slots=True)
class StakeRange:
    """From `low` (the game's smallest stake) to `high` (its largest, or the balance when that is
    less), in minor units of the balance's currency."""

    limits: StakeLimits
    balance: Money

    @property
    def low(self) -> int:
        return self.limits.min_stake

    @property
    def high(self) -> int:
        return min(self.limits.max_stake, self.balance.amount)

    @property
    def playable(self) -> bool:
        """Whether any stake fits: false while the balance is under the smallest stake."""
        return self.low <= self.high

    @property
    def capped_by_balance(self) -> bool:
        """Whether the balance, not the game, sets the largest stake."""
        return self.balance.amount < self.limits.max_stake

    def money(self, amount: int) -> Money:
        return Money(amount, self.balance.currency)

    def clamp(self, amount: int) -> int:
        """The stake nearest to `amount` inside the range (`low` when nothing fits: the picker
        then offers no stake at all, see `playable`)."""
        return max(self.low, min(amount, self.high))

    def step(self, stake: int, step: StakeStep) -> int:
        """The stake after a control is pressed on `stake` (itself clamped first: a stake from
        an old screen, or a forged one, counts as the nearest stake allowed now). Halving rounds
        down, and never goes under the smallest stake."""
        current = self.clamp(stake)
        if step is StakeStep.HALF:
            return self.clamp(current // 2)
        if step is StakeStep.DOUBLE:
            return self.clamp(current * 2)
        if step is StakeStep.MIN:
            return self.low
        return self.clamp(self.high)

    def problem(self, amount: int) -> StakeProblem | None:
        """Why `amount` cannot be picked now, or None when it can."""
        if amount < self.low:
            return StakeProblem.BELOW_MIN
        if amount > self.limits.max_stake:
            return StakeProblem.ABOVE_MAX
        if amount > self.balance.amount:
            return StakeProblem.ABOVE_BALANCE
        return None
