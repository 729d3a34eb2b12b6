"""Verify a settled provably fair bet against its revealed seed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import UnitOfWork, UnitOfWorkFactory
from domain.bets import Bet
from domain.errors import InvalidRequest, NotFound
from domain.games.base import SteppedGame
from domain.games.catalog import game_by_code
from domain.verification import OutcomeCheck, check_outcome


@dataclass(frozen=True, slots=True)
class BetVerification:
    bet: Bet
    server_seed: str
    check: OutcomeCheck

    @property
    def matches(self) -> bool:
        """The recomputed outcome and multiplier are the ones the bet was settled with."""
        return (
            self.check.outcome == self.bet.outcome
            and self.check.multiplier == self.bet.multiplier
            and self.check.server_seed_hash
            == (self.bet.fairness.server_seed_hash if self.bet.fairness else None)
        )


class VerifyBet:
    """Recompute a settled provably fair bet from its seeds, once the player has rotated the
    pair and its server seed is public. `NotRevealed` before that."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, bet_id: uuid.UUID, *, player_id: int | None = None) -> BetVerification:
        async with self._uow() as uow:
            bet = await uow.bets.find(bet_id)
            if bet is None or (player_id is not None and bet.player_id != player_id):
                raise NotFound(f"there is no bet {bet_id}")
            if bet.fairness is None:
                raise InvalidRequest(f"bet {bet_id} was settled by Telegram's dice, not by seeds")
            pair = await uow.seeds.get(bet.fairness.seed_pair_id)
            steps = await played_steps(uow, bet)
        server_seed = pair.revealed_seed()
        check = check_outcome(
            bet.game,
            server_seed=server_seed,
            client_seed=bet.fairness.client_seed,
            nonce=bet.fairness.nonce,
            params=bet.params,
            house_edge=bet.house_edge,
            steps=steps,
        )
        return BetVerification(bet, server_seed, check)


async def played_steps(uow: UnitOfWork, bet: Bet) -> Sequence[int] | None:
    """The tiles revealed of a game played in steps (mines), which its outcome is replayed
    from; None for every other game."""
    if not isinstance(game_by_code(bet.game), SteppedGame):
        return None
    field = await uow.mines.find(bet.id)
    return () if field is None else field.revealed
