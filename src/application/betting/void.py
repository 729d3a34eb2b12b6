"""Void a placed bet: its stake goes back to the player."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from domain.errors import IllegalTransition, NotFound
from domain.events import BetVoided
from domain.games.base import SteppedGame
from domain.games.catalog import game_by_code


@dataclass(frozen=True, slots=True)
class VoidBetCommand:
    bet_id: uuid.UUID
    reason: str


class VoidBet(BetPoster):
    """Return the stake of a bet that was placed but never settled (the dice never arrived,
    a game was withdrawn). Only a placed bet can be voided; a repeat returns the first void.
    A mines bet is not voided here: its field would stay open (the player's one open game);
    its player ends it, by a mine or a cash-out, or before the first tile takes the stake
    back (`application.mines.VoidMines`, which voids the bet with its field), whatever their
    standing."""

    async def __call__(self, command: VoidBetCommand) -> BetReceipt:
        async with self._uow() as uow:
            bet = await uow.bets.find(command.bet_id, for_update=True)
            if bet is None:
                raise NotFound(f"there is no bet {command.bet_id}")
            if bet.state.is_final and bet.void_reason == command.reason.strip():
                return BetReceipt(bet, await self._balance(uow, bet), replayed=True)
            if isinstance(game_by_code(bet.game), SteppedGame):
                raise IllegalTransition(
                    f"bet {bet.id} is a {bet.game} game: its player ends it (reveal or cash out)"
                )
            voided = bet.void(
                command.reason, at=self._clock.now(), transaction_id=self._ids.new_id()
            )
            await self._post_settlement(uow, voided)
            await uow.bets.save(voided)
            uow.raise_events(BetVoided(voided))
            balance = await self._balance(uow, voided)
            await uow.commit()
        self._metrics.settled(voided)
        return BetReceipt(voided, balance)
