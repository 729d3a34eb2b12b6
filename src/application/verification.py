"""Verify a settled provably fair bet against its revealed seed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.ports import UnitOfWorkFactory
from domain.bets import Bet
from domain.errors import InvalidRequest, NotFound
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
        server_seed = pair.revealed_seed()
        check = check_outcome(
            bet.game,
            server_seed=server_seed,
            client_seed=bet.fairness.client_seed,
            nonce=bet.fairness.nonce,
            params=bet.params,
            house_edge=bet.house_edge,
        )
        return BetVerification(bet, server_seed, check)
