"""Void a placed bet: its stake goes back to the player."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from domain.errors import NotFound
from domain.events import BetVoided


@dataclass(frozen=True, slots=True)
class VoidBetCommand:
    bet_id: uuid.UUID
    reason: str


class VoidBet(BetPoster):
    """Return the stake of a bet that was placed but never settled (the dice never arrived,
    a game was withdrawn). Only a placed bet can be voided; a repeat returns the first void."""

    async def __call__(self, command: VoidBetCommand) -> BetReceipt:
        async with self._uow() as uow:
            bet = await uow.bets.find(command.bet_id, for_update=True)
            if bet is None:
                raise NotFound(f"there is no bet {command.bet_id}")
            if bet.state.is_final and bet.void_reason == command.reason.strip():
                return BetReceipt(bet, await self._balance(uow, bet), replayed=True)
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
