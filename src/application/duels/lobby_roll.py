"""A duel lobby's dice and its end: `RecordLobbyRoll` records the die the bot sent for a seat
(settling or refunding the lobby in the same unit of work when it decides it), and
`ExpireLobbies`, the job that refunds a lobby not started or not rolled out in time.

As for a duel (one rule, application/duels/dice_records.py): a retry of the same record is
answered with the lobby as it stands; a die for a round and seat already recorded with another
message is refused, so a second die never replaces the first; after a restart the next die
goes on from the table (the round and seat it asks for)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.duels.collusion import CollusionWatch
from application.duels.dice_records import is_repeat
from application.duels.expire import DEFAULT_EXPIRY_BATCH
from application.duels.lobby_books import LobbyBooks
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.risk.review import RiskReview
from domain.duel_lobbies import Lobby, LobbyState


@dataclass(frozen=True, slots=True)
class RecordLobbyRollCommand:
    lobby_id: uuid.UUID
    round: int
    seat: int
    value: int
    message_id: int


class RecordLobbyRoll(LobbyBooks):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        review: RiskReview,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._collusion = CollusionWatch(review)

    async def __call__(self, command: RecordLobbyRollCommand) -> Lobby:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._locked_lobby(uow, command.lobby_id)
            if is_repeat(
                current.rolled(command.seat, command.round),
                message_id=command.message_id,
                round_=command.round,
                current_round=current.round,
                game=f"lobby {current.id}",
                die=f"seat {command.seat}'s die",
            ):
                return current  # the same record again
            lobby = current.record_roll(command.seat, command.value, command.message_id, now)
            if lobby.state.is_final:
                await self._close_lobby(uow, lobby, now)
                if lobby.state is LobbyState.SETTLED:
                    await self._collusion.after_lobby_settled(uow, lobby, now)
            else:
                await uow.lobbies.save(lobby)
            await uow.commit()
            return lobby


class ExpireLobbies(LobbyBooks):
    async def __call__(self, limit: int = DEFAULT_EXPIRY_BATCH) -> list[Lobby]:
        now = self._clock.now()
        async with self._uow() as uow:
            due = list(await uow.lobbies.overdue(now, limit))
        ended = []
        for lobby_id in due:
            lobby = await self._expire_one(lobby_id)
            if lobby is not None:
                ended.append(lobby)
        return ended

    async def _expire_one(self, lobby_id: uuid.UUID) -> Lobby | None:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._locked_lobby(uow, lobby_id)
            if not current.is_overdue(now):
                return None  # started, rolled or ended since it was listed
            ended = current.expire(now)
            await self._close_lobby(uow, ended, now)
            await uow.commit()
            return ended
