"""Recompute a provably fair result from its seeds: what a public verifier does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from domain.bets import Bet, BetState
from domain.errors import InvalidRequest
from domain.fairness import commitment, uint32_stream
from domain.games.base import ProvablyFairGame, format_multiplier
from domain.games.catalog import DEFAULT_HOUSE_EDGE, game_by_code, payout_for


@dataclass(frozen=True, slots=True)
class OutcomeCheck:
    game: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    outcome: int
    description: str
    params: Mapping[str, str] | None = None
    multiplier: Fraction | None = None

    def lines(self) -> list[str]:
        shown = [
            f"game              {self.game}",
            f"server seed hash  {self.server_seed_hash}",
            f"client seed       {self.client_seed}",
            f"nonce             {self.nonce}",
            f"result            {self.description}",
        ]
        if self.multiplier is not None and self.params is not None:
            bet = " ".join(f"{k}={v}" for k, v in self.params.items())
            shown.append(f"bet               {bet or '(none)'}")
            verdict = "win" if self.multiplier else "loss"
            shown.append(f"multiplier        {format_multiplier(self.multiplier)}x ({verdict})")
        return shown


def check_outcome(
    game_code: str,
    *,
    server_seed: str,
    client_seed: str,
    nonce: int,
    params: Mapping[str, str] | None = None,
    house_edge: Fraction = DEFAULT_HOUSE_EDGE,
) -> OutcomeCheck:
    """The outcome of nonce `nonce` of a seed pair, and with `params` the multiplier a bet
    with those parameters earned."""
    game = game_by_code(game_code)
    if not isinstance(game, ProvablyFairGame):
        raise InvalidRequest(f"{game.code} is settled by Telegram's dice, not by seeds")
    words = uint32_stream(server_seed, client_seed, nonce)
    multiplier = canonical = None
    if params is None:
        outcome = game.outcome_from_words(words)
        description = game.describe(outcome)
    else:
        selection = game.parse(params)
        outcome = game.outcome_for(selection, words)
        description = game.describe_bet(selection, outcome)
        canonical = game.params(selection)
        multiplier = game.multiplier(selection, outcome, house_edge)
    return OutcomeCheck(
        game=game.code,
        server_seed_hash=commitment(server_seed),
        client_seed=client_seed,
        nonce=nonce,
        outcome=outcome,
        description=description,
        params=canonical,
        multiplier=multiplier,
    )


def settlement_problems(bet: Bet, server_seed: str | None) -> list[str]:
    """What is wrong with a won or lost bet, recomputed from first principles: a provably fair
    bet's outcome from its seeds (`server_seed`, secret or revealed), then for every game the
    multiplier from the outcome, the payout from the multiplier and the state from the payout.
    Empty when the bet is right; open and voided bets have nothing to recompute."""
    if bet.state not in (BetState.WON, BetState.LOST):
        return []
    game = game_by_code(bet.game)
    problems: list[str] = []
    outcome = bet.outcome
    if isinstance(game, ProvablyFairGame):
        if bet.fairness is None or server_seed is None:
            return ["its server seed is unavailable (missing, or sealed with another key)"]
        if commitment(server_seed) != bet.fairness.server_seed_hash:
            problems.append("its server seed does not match the hash shown to the player")
        outcome = game.outcome_for(
            bet.selection, uint32_stream(server_seed, bet.fairness.client_seed, bet.fairness.nonce)
        )
        if outcome != bet.outcome:
            problems.append(f"outcome {bet.outcome}, recomputed from its seeds {outcome}")
    if outcome is None:
        return [*problems, "settled without an outcome"]
    multiplier = game.multiplier(bet.selection, outcome, bet.house_edge)
    if multiplier != bet.multiplier:
        problems.append(f"multiplier {bet.multiplier}, recomputed {multiplier}")
    payout = payout_for(bet.stake.amount, multiplier)
    if payout != bet.payout:
        problems.append(f"payout {bet.payout}, recomputed {payout}")
    state = BetState.WON if payout > 0 else BetState.LOST
    if bet.state is not state:
        problems.append(f"state {bet.state.value}, recomputed {state.value}")
    return problems
