"""VIP levels: a ladder of wagered-volume thresholds over a rolling window, each level with a
rakeback share (docs/bonuses.md, "VIP levels and rakeback").

A player's level is what they wagered on settled bets in the ladder's currency over the last
`window` (30 days by default): the highest level whose threshold that volume reaches. Levels
are configuration, not data: an operator sets the ladder once per installation (a setting),
and no player's level is stored, so changing the ladder re-levels everyone at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Final

from domain.errors import InvalidField
from domain.money import XTR, Currency, Money


@dataclass(frozen=True, slots=True)
class VipLevel:
    """A rung of the ladder: its name, the volume that reaches it (minor units of the ladder's
    currency) and its rakeback share of the house edge (0 to 1)."""

    name: str
    threshold: int
    share: Fraction

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 32:
            raise InvalidField("vip_levels", "a level's name is 1-32 characters")
        if self.threshold < 0:
            raise InvalidField("vip_levels", f"level {self.name}: the threshold is negative")
        if not 0 <= self.share <= 1:
            raise InvalidField("vip_levels", f"level {self.name}: a share is 0% to 100%")


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a player stands: their level, the next one (None at the top) and how much more
    they must wager within the window to reach it."""

    wagered: Money
    level: VipLevel
    next_level: VipLevel | None
    to_next: Money | None


@dataclass(frozen=True, slots=True)
class VipLadder:
    """The levels in ascending order of threshold; the first starts at 0, so every player has
    a level. Shares never fall as the levels rise."""

    currency: Currency
    window: timedelta
    levels: tuple[VipLevel, ...]

    def __post_init__(self) -> None:
        if not self.levels or self.levels[0].threshold != 0:
            raise InvalidField("vip_levels", "the first level starts at 0")
        for lower, higher in zip(self.levels, self.levels[1:], strict=False):
            if higher.threshold <= lower.threshold:
                raise InvalidField("vip_levels", "thresholds rise strictly from level to level")
            if higher.share < lower.share:
                raise InvalidField("vip_levels", "a higher level never has a smaller share")
        if len({level.name for level in self.levels}) != len(self.levels):
            raise InvalidField("vip_levels", "level names are unique")
        if not timedelta(days=1) <= self.window <= timedelta(days=366):
            raise InvalidField("vip_window_days", "the window is 1 to 366 days")

    @property
    def top_share(self) -> Fraction:
        return self.levels[-1].share

    def level_for(self, wagered: Money) -> VipLevel:
        """The highest level whose threshold the volume reaches."""
        if wagered.currency != self.currency:
            raise InvalidField("currency", f"levels count {self.currency.code} wagered")
        return [level for level in self.levels if level.threshold <= wagered.amount][-1]

    def progress(self, wagered: Money) -> Progress:
        level = self.level_for(wagered)
        index = self.levels.index(level)
        if index + 1 == len(self.levels):
            return Progress(wagered, level, None, None)
        following = self.levels[index + 1]
        return Progress(
            wagered, level, following, Money(following.threshold - wagered.amount, self.currency)
        )


# Bronze from the first bet, Silver at 5,000 ⭐ and Gold at 50,000 ⭐ over 30 days.
DEFAULT_LADDER: Final = VipLadder(
    currency=XTR,
    window=timedelta(days=30),
    levels=(
        VipLevel("Bronze", 0, Fraction(5, 100)),
        VipLevel("Silver", 5_000, Fraction(10, 100)),
        VipLevel("Gold", 50_000, Fraction(15, 100)),
    ),
)


def parse_levels(text: str) -> tuple[VipLevel, ...]:
    """`Bronze:0:5,Silver:5000:10,Gold:50000:15`: name, threshold in minor units of the
    ladder's currency, share in whole or decimal percent."""
    levels = []
    for item in text.split(","):
        parts = [part.strip() for part in item.split(":")]
        if len(parts) != 3 or not parts[1].isdigit():
            raise InvalidField("vip_levels", f"takes NAME:THRESHOLD:PERCENT,…; got {item!r}")
        try:
            percent = Fraction(parts[2])
        except ValueError:
            raise InvalidField("vip_levels", f"{parts[2]!r} is not a percentage") from None
        levels.append(VipLevel(parts[0], int(parts[1]), percent / 100))
    return tuple(levels)


def written_levels(levels: tuple[VipLevel, ...]) -> str:
    """The ladder as `parse_levels` reads it (the docs show the default this way)."""
    return ",".join(f"{level.name}:{level.threshold}:{_percent(level.share)}" for level in levels)


def _percent(share: Fraction) -> str:
    percent = share * 100
    return str(percent.numerator) if percent.denominator == 1 else str(float(percent))
