"""The player's notification choices (issue 23): which topics they get, and turning one on or
off. A required topic (withdrawals) cannot be turned off: `InvalidRequest`, nothing written."""

from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from domain.notifications import NoticeChoices, Topic


class GetNoticeChoices:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> NoticeChoices:
        async with self._uow() as uow:
            return await uow.notice_choices.of(player_id)


class ChooseNotices:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, topic: Topic, on: bool) -> NoticeChoices:
        """The choices after this one; choosing what already holds writes nothing."""
        async with self._uow() as uow:
            current = await uow.notice_choices.of(player_id)
            chosen = current.choose(topic, on)  # refuses turning a required topic off
            if chosen != current:
                await uow.notice_choices.choose(player_id, topic, on, self._clock.now())
                await uow.commit()
        return chosen
