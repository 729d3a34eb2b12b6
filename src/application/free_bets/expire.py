"""Expiring free bets whose time ran out unplayed: a step of the bonuses' periodic expiry job
(`croupier run`) and of `croupier bonuses expire`."""

from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from domain.free_bets import FreeBetState

EXPIRE_PAGE = 200


class ExpireFreeBets:
    """Mark every granted free bet whose expiry has come `expired`, each in a unit of work of
    its own under its row lock: one played meanwhile is left as it is. No money moves (a free
    bet holds none). Returns how many this call expired."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self) -> int:
        expired = 0
        while True:
            async with self._uow() as uow:
                due = await uow.free_bets.due_to_expire(self._clock.now(), limit=EXPIRE_PAGE)
            for free_bet_id in due:
                async with self._uow() as uow:
                    free_bet = await uow.free_bets.get(free_bet_id, for_update=True)
                    if free_bet.state is not FreeBetState.GRANTED:
                        continue
                    await uow.free_bets.save(free_bet.expire(self._clock.now()))
                    await uow.commit()
                    expired += 1
            if len(due) < EXPIRE_PAGE:
                return expired
