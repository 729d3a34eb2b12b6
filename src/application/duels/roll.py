"""The die the bot sent for one seat of a duel is recorded; when it decides the round, the
duel settles (or, past its ties, is refunded) in the same unit of work.

The bot sends the die first (`sendDice`: the value is Telegram's), then records it here with
the round it was sent for and its message id. A retry of the same record is answered with the
duel as it stands (nothing moves twice); a die for a round or seat already recorded with
another message is refused, so a second die can never replace the first (the rule of
application/duels/dice_records.py, a lobby's too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.duels.collusion import CollusionWatch
from application.duels.dice_records import is_repeat
from application.duels.settle import DuelSettlement
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.risk.review import RiskReview
from domain.duels import Duel, DuelState, Seat
from domain.duels_collusion import CollusionPolicy


@dataclass(frozen=True, slots=True)
class RecordDuelRollCommand:
    duel_id: uuid.UUID
    round: int
    seat: Seat
    value: int
    message_id: int


class RecordDuelRoll(DuelSettlement):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        review: RiskReview,
        collusion: CollusionPolicy,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._collusion = CollusionWatch(review, collusion)

    async def __call__(self, command: RecordDuelRollCommand) -> Duel:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._locked(uow, command.duel_id)
            if is_repeat(
                current.rolled(command.seat, command.round),
                message_id=command.message_id,
                round_=command.round,
                current_round=current.round,
                game=f"duel {current.id}",
                die=f"the {command.seat}'s die",
            ):
                return current  # the same record again
            duel = current.record_roll(command.seat, command.value, command.message_id, now)
            if duel.state.is_final:
                await self.close(uow, duel, current.state, now)
                if duel.state is DuelState.SETTLED:
                    await self._collusion.after_settled(uow, duel, now)
            else:
                await uow.duels.save(duel)
            await uow.commit()
            return duel
