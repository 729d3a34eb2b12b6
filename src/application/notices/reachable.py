"""A player who blocked the bot and wrote to it again (/start) can be reached again."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory


class PlayerWroteAgain:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        """True if the player had been unreachable."""
        async with self._uow() as uow:
            again = await uow.notices.reachable_again(player_id)
            await uow.commit()
        return again
