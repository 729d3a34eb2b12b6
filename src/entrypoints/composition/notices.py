"""The bot's notices: the listener that readies crash results from the event stream, and the
one sender (a PostgreSQL advisory lock of its own) that delivers them through the bot."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Final

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.crash import SqlLeaderLock
from adapters.redis_event_stream import RedisEventStream
from application.notices import (
    ChooseNotices,
    CrashResultListener,
    GetNoticeChoices,
    NoticeSender,
    NotifyOfEvents,
    PlayerWroteAgain,
    ReadyCrashResults,
    SendNotices,
)
from application.notices.big_wins import BigWinFeed
from application.ports import Clock, UnitOfWorkFactory
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.settings import Settings

# The Redis consumer group of the bot's notices on `croupier:events`.
NOTICE_GROUP: Final = "croupier-bot-notices"
# The advisory lock only one notice sender holds ("notices", as a number).
NOTICE_SENDER_LOCK_KEY: Final = 0x6E6F_7469_6365_73


@dataclass(frozen=True, slots=True)
class NoticeJobs:
    """What runs next to the bot; nothing without a bot (no token)."""

    listener: CrashResultListener | None = None
    sender: NoticeSender | None = None


class NoticesProvider(Provider):
    scope = Scope.APP

    ready_crash_results = provide(ReadyCrashResults)
    player_wrote_again = provide(PlayerWroteAgain)
    # issue 23: the notifications of deposits, withdrawals and bonuses, and the player's choices
    get_notice_choices = provide(GetNoticeChoices)

    @provide
    def big_win_feed(self, settings: Settings) -> BigWinFeed:
        return BigWinFeed(
            settings.big_wins_channel, settings.big_wins_language, settings.big_win_rules()
        )

    @provide
    def notify_of_events(
        self, uow: UnitOfWorkFactory, clock: Clock, feed: BigWinFeed
    ) -> NotifyOfEvents:
        return NotifyOfEvents(uow, clock, feed)

    @provide
    def choose_notices(
        self, uow: UnitOfWorkFactory, clock: Clock, feed: BigWinFeed
    ) -> ChooseNotices:
        return ChooseNotices(uow, clock, feed)

    @provide
    def jobs(
        self,
        runtime: TelegramRuntime,
        uow: UnitOfWorkFactory,
        clock: Clock,
        engine: AsyncEngine,
        redis: Redis,
        ready: ReadyCrashResults,
        notify: NotifyOfEvents,
        feed: BigWinFeed,
    ) -> NoticeJobs:
        if runtime.bot is None:
            return NoticeJobs()
        # One consumer name a host: a restarted process reads what it had not acknowledged.
        events = RedisEventStream(redis, NOTICE_GROUP, socket.gethostname())
        # Imported here: it imports aiogram (~130 MB), which a process without a bot never
        # loads (entrypoints/bot/runtime.py).
        from entrypoints.bot.notices import TelegramMessenger

        send = SendNotices(uow, clock, TelegramMessenger(runtime.bot), feed=feed)
        lock = SqlLeaderLock(engine, key=NOTICE_SENDER_LOCK_KEY)
        listener = CrashResultListener(events, ready, notify)
        return NoticeJobs(listener, NoticeSender(send, lock))
