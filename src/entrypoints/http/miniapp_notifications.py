"""The Mini App's notification choices (issue 23, docs/notifications.md): which messages the
bot sends the player by itself.

    GET /api/v1/app/notifications      every topic, on or off, and whether it is required
    PUT /api/v1/app/notifications      {topic, on}  turns one over; answers as GET

A required topic (withdrawals) cannot be turned off: 400 problem details, nothing written."""

from __future__ import annotations

from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.notices import ChooseNotices, GetNoticeChoices
from domain.notifications import REQUIRED_TOPICS, NoticeChoices, Topic, parse_topic
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id


class TopicView(msgspec.Struct):
    topic: str  # deposits, withdrawals, bonuses, crash_results, limits
    on: bool
    required: bool  # cannot be turned off


class NotificationsView(msgspec.Struct):
    topics: list[TopicView]


class ChoiceBody(msgspec.Struct, forbid_unknown_fields=True):
    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    on: bool


def notifications_view(choices: NoticeChoices) -> NotificationsView:
    return NotificationsView(
        [TopicView(t.value, choices.is_on(t), t in REQUIRED_TOPICS) for t in Topic]
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
        self, player_id: NamedDependency[int], choices: FromDishka[GetNoticeChoices]
    ) -> NotificationsView:
        return notifications_view(await choices(player_id))

    @put(
        "/",
        status_code=200,
        summary="Turn one topic on or off",
        description="A required topic (withdrawals) cannot be turned off: 400.",
    )
    @inject
    async def choose(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[ChoiceBody],
        choose: FromDishka[ChooseNotices],
    ) -> NotificationsView:
        return notifications_view(await choose(player_id, parse_topic(data.topic), data.on))
