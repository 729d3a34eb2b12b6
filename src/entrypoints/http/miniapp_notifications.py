"""The Mini App's notification choices (issue 23, docs/notifications.md): which messages the
bot sends the player by itself.

    GET /api/v1/app/notifications      every topic, on or off, and whether it is required
    PUT /api/v1/app/notifications      {topic, on}  turns one over; answers as GET

A required topic (withdrawals) cannot be turned off: 400 problem details, nothing written.
`big_wins` (consent to have one's big wins posted in the operator's public channel, off until
turned on) is listed only while the operator runs that feed; turning it on without one: 400."""

from __future__ import annotations

from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.notices import ChooseNotices, GetNoticeChoices
from application.notices.big_wins import BigWinFeed
from application.notices.choices import offered_topics
from domain.notifications import REQUIRED_TOPICS, NoticeChoices, parse_topic
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id


class TopicView(msgspec.Struct):
    topic: str  # deposits, withdrawals, bonuses, crash_results, limits, big_wins
    on: bool
    required: bool  # cannot be turned off


class NotificationsView(msgspec.Struct):
    topics: list[TopicView]


class ChoiceBody(msgspec.Struct, forbid_unknown_fields=True):
    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    on: bool


def notifications_view(choices: NoticeChoices, feed: BigWinFeed) -> NotificationsView:
    return NotificationsView(
        [TopicView(t.value, choices.is_on(t), t in REQUIRED_TOPICS) for t in offered_topics(feed)]
    )


class MiniAppNotificationsController(Controller):
    path = "/api/v1/app/notifications"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get("/", summary="The messages the bot sends by itself, each on or off")
    @inject
    async def show(
        self,
        player_id: NamedDependency[int],
        choices: FromDishka[GetNoticeChoices],
        feed: FromDishka[BigWinFeed],
    ) -> NotificationsView:
        return notifications_view(await choices(player_id), feed)

    @put(
        "/",
        status_code=200,
        summary="Turn one topic on or off",
        description="A required topic (withdrawals) cannot be turned off, nor `big_wins` "
        "turned on while there is no big-wins channel: 400.",
    )
    @inject
    async def choose(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[ChoiceBody],
        choose: FromDishka[ChooseNotices],
        feed: FromDishka[BigWinFeed],
    ) -> NotificationsView:
        chosen = await choose(player_id, parse_topic(data.topic), data.on)
        return notifications_view(chosen, feed)
