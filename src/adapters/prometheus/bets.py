"""Bets counted by outcome, for the `BetMetrics` port."""

from __future__ import annotations

import functools

from prometheus_client import Counter

from domain.bets import Bet, BetState
from domain.games.catalog import GAMES
from domain.money import Currency

BETS = Counter(
    "croupier_bets_total",
    "Bets as they were placed: won or lost (provably fair, settled at once), pending (a "
    "Telegram dice bet waiting for its dice) or refused (with the refusal's reason).",
    ["game", "currency", "outcome", "reason"],
)
SETTLEMENTS = Counter(
    "croupier_bet_settlements_total",
    "Pending bets settled later: won, lost or voided.",
    ["game", "currency", "outcome"],
)

_OUTCOME = {
    BetState.PLACED: "pending",
    BetState.WON: "won",
    BetState.LOST: "lost",
    BetState.VOIDED: "voided",
}
# A refused bet's game is what the caller sent; anything not in the catalog is one label,
# or a caller could grow the metric without bound.
UNKNOWN_GAME = "unknown"


# Each label set's child, found once (`labels()` costs more than the increment); bounded by
# the games, currencies, outcomes and error codes.
@functools.cache
def _bets(game: str, currency: str, outcome: str, reason: str) -> Counter:
    return BETS.labels(game, currency, outcome, reason)


@functools.cache
def _settlements(game: str, currency: str, outcome: str) -> Counter:
    return SETTLEMENTS.labels(game, currency, outcome)


class PrometheusBetMetrics:
    def placed(self, bet: Bet) -> None:
        _bets(bet.game, bet.stake.currency.code, _OUTCOME[bet.state], "").inc()

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        label = game if game in GAMES else UNKNOWN_GAME
        _bets(label, currency.code, "refused", reason).inc()

    def settled(self, bet: Bet) -> None:
        _settlements(bet.game, bet.stake.currency.code, _OUTCOME[bet.state]).inc()
