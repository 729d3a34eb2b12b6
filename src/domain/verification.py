"""Recompute a provably fair result from its seeds: what a public verifier does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from domain.bets import Bet, BetState
from domain.errors import InvalidRequest
from domain.fairness import commitment, uint32_stream
from domain.games.base import ProvablyFairGame, Selection, SteppedGame, format_multiplier
from domain.games.catalog import DEFAULT_HOUSE_EDGE, game_by_code, payout_for
from domain.games.mines import SIDE, Mines, mine_positions
from domain.mines import MinesField, MinesState


@dataclass(frozen=True, slots=True)
class OutcomeCheck:
    game: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    outcome: int | None  # None: a game played in steps, checked without its steps
    description: str
    params: Mapping[str, str] | None = None
    multiplier: Fraction | None = None
    mines: tuple[int, ...] | None = None  # a mines field's mines, ascending

    def lines(self) -> list[str]:
        shown = [
            f"game              {self.game}",
            f"server seed hash  {self.server_seed_hash}",
            f"client seed       {self.client_seed}",
            f"nonce             {self.nonce}",
            f"result            {self.description}",
        ]
        if self.mines is not None:
            shown.append(f"mines             {', '.join(map(str, self.mines))}")
            for row in range(SIDE):
                tiles = range(row * SIDE, (row + 1) * SIDE)
                cells = " ".join("*" if t in self.mines else "." for t in tiles)
                label = "field (* = mine)" if row == 0 else ""
                shown.append(f"{label:<18}{cells}   tiles {tiles[0]}-{tiles[-1]}")
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
    steps: Sequence[int] | None = None,
) -> OutcomeCheck:
    """The outcome of nonce `nonce` of a seed pair, and with `params` the multiplier a bet
    with those parameters earned. A mines game needs its parameters (the mine count) to deal
    its field, which is shown; with its `steps` (the tiles revealed, in order) its outcome and
    multiplier are recomputed too."""
    game = game_by_code(game_code)
    if not isinstance(game, ProvablyFairGame):
        raise InvalidRequest(f"{game.code} is settled by Telegram's dice, not by seeds")
    if isinstance(game, SteppedGame):
        return _check_field(game, server_seed, client_seed, nonce, params, house_edge, steps)
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


def _check_field(
    game: SteppedGame,
    server_seed: str,
    client_seed: str,
    nonce: int,
    params: Mapping[str, str] | None,
    house_edge: Fraction,
    steps: Sequence[int] | None,
) -> OutcomeCheck:
    if not isinstance(game, Mines) or params is None:
        raise InvalidRequest(f"{game.code} needs its parameters to deal its field (mines=3)")
    selection = game.parse(params)
    positions = _positions(server_seed, client_seed, nonce, selection)
    outcome = multiplier = None
    description = f"a field of {len(positions)} mines"
    if steps is not None:
        outcome = game.replay(uint32_stream(server_seed, client_seed, nonce), selection, steps)
        multiplier = game.multiplier(selection, outcome, house_edge)
        description = game.describe(outcome)
    return OutcomeCheck(
        game=game.code,
        server_seed_hash=commitment(server_seed),
        client_seed=client_seed,
        nonce=nonce,
        outcome=outcome,
        description=description,
        params=game.params(selection),
        multiplier=multiplier,
        mines=tuple(sorted(positions)),
    )


def _positions(
    server_seed: str, client_seed: str, nonce: int, selection: Selection
) -> tuple[int, ...]:
    assert selection.value is not None
    return mine_positions(uint32_stream(server_seed, client_seed, nonce), selection.value)


def settlement_problems(
    bet: Bet, server_seed: str | None, field: MinesField | None = None
) -> list[str]:
    """What is wrong with a won or lost bet, recomputed from first principles: a provably fair
    bet's outcome from its seeds (`server_seed`, secret or revealed), then for every game the
    multiplier from the outcome, the payout from the multiplier and the state from the payout.
    Empty when the bet is right; open and voided bets have nothing to recompute. A mines
    bet is recomputed from its `field`: the mines from the seeds (against those stored), the
    outcome from the tiles revealed on them."""
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
        if isinstance(game, SteppedGame):
            outcome, wrong = _replayed(bet, game, server_seed, field)
            problems += wrong
        else:
            outcome = game.outcome_for(
                bet.selection,
                uint32_stream(server_seed, bet.fairness.client_seed, bet.fairness.nonce),
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


def _replayed(
    bet: Bet, game: SteppedGame, server_seed: str, field: MinesField | None
) -> tuple[int | None, list[str]]:
    """A mines bet's outcome replayed on the field its seeds deal, and what is wrong with the
    stored field."""
    assert bet.fairness is not None
    if field is None:
        return None, ["its mines field is missing or unreadable"]
    fair = bet.fairness
    problems = []
    positions = _positions(server_seed, fair.client_seed, fair.nonce, bet.selection)
    if sorted(field.positions) != sorted(positions):
        problems.append(
            f"mines at {sorted(field.positions)}, recomputed from its seeds {sorted(positions)}"
        )
    if field.state is MinesState.OPEN:
        problems.append("it is settled while its field is still open")
    words = uint32_stream(server_seed, fair.client_seed, fair.nonce)
    return game.replay(words, bet.selection, field.revealed), problems
