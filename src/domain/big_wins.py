"""The public feed of big wins (issue 23, docs/notifications.md "The big-wins feed"): a bet
that won big, of a player who chose to have their wins shown, is posted to the operator's
channel. Which wins are big is the operator's (`BigWinRules`); that a player is shown only
with their consent (the opt-in topic `big_wins`, off by default) and never while the standing
refuses promotions (the feed advertises play) is `domain.notifications`'.

What is published names no one: "A player" (Croupier keeps no first names, and a public
channel is not the place to learn that a neighbour gambles), the game, the stake, the win,
the multiplier and the bet's id, its proof reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from domain.errors import InvalidRequest

BIG_WIN = "big_win.post"  # a notice's kind: one post in the channel for one bet

# Stars only: a threshold "in Stars" means nothing for another currency, and the bot's
# players bet in Stars.
FEED_CURRENCY = "XTR"
DEFAULT_MIN_WIN = 1_000  # Stars paid out by the bet
DEFAULT_MIN_MULTIPLIER = 10  # times the stake
DEFAULT_COOLDOWN = timedelta(hours=1)  # one player's posts, at most one this often


@dataclass(frozen=True, slots=True)
class BigWinRules:
    """A bet is a big win when it won at least `min_win` Stars (its payout) AND at least
    `min_multiplier` times its stake: both, so neither a large stake doubled nor a 1 ⭐ long
    shot floods the channel (1 as the multiplier: any win of `min_win`)."""

    min_win: int = DEFAULT_MIN_WIN
    min_multiplier: int = DEFAULT_MIN_MULTIPLIER
    cooldown: timedelta = DEFAULT_COOLDOWN

    def __post_init__(self) -> None:
        if self.min_win < 1 or self.min_multiplier < 1 or self.cooldown < timedelta(0):
            raise InvalidRequest("a big win is at least 1 ⭐ and 1×; the cooldown not negative")

    def is_big(self, currency: str, stake: int, payout: int, multiplier: str) -> bool:
        """`multiplier`: the bet's, an exact decimal string as `bet.settled` carries it."""
        if currency != FEED_CURRENCY or stake <= 0 or payout < self.min_win:
            return False
        return parse_multiplier(multiplier) >= self.min_multiplier


def parse_multiplier(text: str) -> Fraction:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a multiplier: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"not a multiplier: {text!r}")
    return Fraction(value)
