"""Settle a Telegram dice bet on the dice the bot sent for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from domain.bets import DiceThrow
from domain.errors import IllegalTransition, InvalidRequest, NotFound
from domain.events import BetSettled
from domain.games.base import TelegramDiceGame
from domain.games.catalog import game_by_code
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class SettleDiceBetCommand:
    bet_id: uuid.UUID
    chat_id: int
    message_id: int  # the dice message the bot itself sent for this bet
    value: int
    # "service:<key name>" when a service submitted the value over gRPC (the "dice" scope):
    # such a settlement is audited with the key and the value. Empty for the bot's own dice,
    # which Telegram itself threw.
    submitted_by: str = ""


class SettleDiceBet(BetPoster):
    """Settle a Telegram dice bet on the value of the dice the bot sent for it. Exactly once:
    concurrent calls queue on the bet's row lock, and a repeat of the same throw returns the
    first settlement; a different throw for a settled bet is an `IllegalTransition`."""

    async def __call__(self, command: SettleDiceBetCommand) -> BetReceipt:
        throw = DiceThrow(command.chat_id, command.message_id)
        async with self._uow() as uow:
            bet = await uow.bets.find(command.bet_id, for_update=True)
            if bet is None:
                raise NotFound(f"there is no bet {command.bet_id}")
            game = game_by_code(bet.game)
            if not isinstance(game, TelegramDiceGame):
                raise InvalidRequest(f"a {bet.game} bet is not settled by a Telegram dice")
            outcome = game.outcome_from_dice(command.value)
            if bet.state.is_final:
                if bet.dice == throw and bet.outcome == outcome:
                    return BetReceipt(bet, await self._balance(uow, bet), replayed=True)
                raise IllegalTransition(f"bet {bet.id} is already {bet.state}")
            settled = bet.settle(
                game, outcome, at=self._clock.now(), transaction_id=self._ids.new_id()
            )
            settled = replace(settled, dice=throw)
            await self._post_settlement(uow, settled)
            await uow.bets.save(settled)
            uow.raise_events(BetSettled(settled))
            if command.submitted_by:
                await uow.audit.record(
                    AuditEntry(
                        AuditAction.DICE_SUBMITTED,
                        settled.settled_at or self._clock.now(),
                        command.submitted_by,
                        f"bet:{bet.id}",
                        after={
                            "value": command.value,
                            "chat_id": command.chat_id,
                            "message_id": command.message_id,
                            "outcome": str(outcome),
                        },
                    )
                )
            balance = await self._balance(uow, settled)
            await uow.commit()
        self._metrics.settled(settled)
        return BetReceipt(settled, balance)
