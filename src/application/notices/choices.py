"""The player's notification choices (issue 23): which topics they get, and turning one on or
off. A required topic (withdrawals) cannot be turned off, and the big-wins feed cannot be
consented to while the operator runs none: `InvalidRequest`, nothing written."""

from __future__ import annotations

from application.notices.big_wins import BigWinFeed
from application.ports import Clock, UnitOfWorkFactory
from domain.errors import InvalidRequest
from domain.notifications import NoticeChoices, Topic


def offered_topics(feed: BigWinFeed) -> list[Topic]:
    """The topics a player is shown: the big-wins feed's only while there is one."""
    return [t for t in Topic if t is not Topic.BIG_WINS or feed.on]


class GetNoticeChoices:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> NoticeChoices:
        async with self._uow() as uow:
            return await uow.notice_choices.of(player_id)


class ChooseNotices:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, feed: BigWinFeed | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._feed = feed or BigWinFeed()

    async def __call__(self, player_id: int, topic: Topic, on: bool) -> NoticeChoices:
        """The choices after this one; choosing what already holds writes nothing. Consent
        may always be withdrawn."""
        if topic is Topic.BIG_WINS and on and not self._feed.on:
            raise InvalidRequest("there is no big-wins channel to show wins in")
        async with self._uow() as uow:
            current = await uow.notice_choices.of(player_id)
            chosen = current.choose(topic, on)  # refuses turning a required topic off
            if chosen != current:
                await uow.notice_choices.choose(player_id, topic, on, self._clock.now())
                await uow.commit()
        return chosen
