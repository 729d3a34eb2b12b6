"""The bot's sender: one instance at a time (a leader lock, like the crash driver's) sends the
due notices, oldest first, at Telegram's pace (`SendPace`), each in the player's language.

- sent: the notice ends `sent`;
- 429: every send waits its `retry_after` and the notice is tried again then;
- 403 (the player blocked the bot): the player is marked unreachable, the notice and every
  other due one of theirs end `unreachable`, and nothing more is sent until they write again;
- anything else: tried again after 2, 4, 8 ... s, and `failed` after `MAX_ATTEMPTS`.

A post of the big-wins feed (`big_wins`) goes to the feed's channel, in the channel's
language, at the channel's pace (20 a minute); the player's own reachability does not count.
A 403 or 400 from the channel (the bot is not its administrator, the channel is gone, the
post refused) ends it `failed` at once with a warning naming the channel: the next post will
meet the same refusal until the operator mends the channel, and must not retry forever.

Before it is sent, a notice is checked again (`gate.may_send`): one the player no longer wants,
or a promotional one the player's standing now refuses, ends `withheld`, unsent.

A notice is marked right after its message is sent: a crash of the process in between sends
it again on the next start (at least once); with one sender that is the only repeat."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta

from application.notices.big_wins import BigWinFeed
from application.notices.gate import may_send
from application.notices.pace import SendPace
from application.ports import (
    Clock,
    DeliveryKind,
    LeaderLock,
    Messenger,
    UnitOfWorkFactory,
)
from application.stopping import pause
from domain.big_wins import BIG_WIN
from domain.notices import MAX_ATTEMPTS, DueNotice, NoticeState

log = logging.getLogger(__name__)


class SendNotices:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        messenger: Messenger,
        pace: SendPace | None = None,
        *,
        feed: BigWinFeed | None = None,
        batch: int = 100,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._messenger = messenger
        self._pace = pace or SendPace()
        self._feed = feed or BigWinFeed()
        self._batch = batch
        self.sent = 0  # for tests and metrics

    async def __call__(self) -> int:
        """One pass over the due notices; how many were handled (sent or ended). A notice to
        a chat that had a message in the last second waits for the next pass."""
        async with self._uow() as uow:
            due = await uow.notices.due(self._clock.now(), self._batch)
        handled = 0
        for notice in due:
            if notice.notice.kind == BIG_WIN:  # to the channel, whoever won
                notice = replace(
                    notice, chat_id=self._feed.chat, language=self._feed.language,
                    unreachable=False,
                )  # fmt: skip
            if notice.unreachable:
                await self._end(notice, NoticeState.UNREACHABLE)
                handled += 1
            elif self._pace.chat_wait(notice.chat_id) > 0:
                continue
            elif not await self._may_send(notice):
                await self._end(notice, NoticeState.WITHHELD)
                handled += 1
            else:
                await self._pace.wait(notice.chat_id)
                handled += await self._send(notice)
        return handled

    async def _may_send(self, due: DueNotice) -> bool:
        async with self._uow() as uow:
            allowed = await may_send(uow, due.notice, self._clock.now(), self._feed)
            await uow.commit()
        return allowed

    async def _send(self, due: DueNotice) -> int:
        delivery = await self._messenger.send(due)
        notice, now = due.notice, self._clock.now()
        async with self._uow() as uow:
            if delivery.kind is DeliveryKind.SENT:
                await uow.notices.end(notice.id, NoticeState.SENT, now)
                self.sent += 1
            elif delivery.kind is DeliveryKind.RETRY_AFTER:
                self._pace.hold(delivery.retry_after)
                until = now + timedelta(seconds=delivery.retry_after)
                await uow.notices.postpone(notice.id, until, attempts=notice.attempts)
            elif notice.kind == BIG_WIN and delivery.kind in _CHANNEL_REFUSALS:
                log.warning(
                    "big-wins feed: channel %s refused post %s (%s); is the bot an"
                    " administrator of the channel allowed to post? The post is dropped",
                    due.chat_id, notice.dedup_key, delivery.reason or delivery.kind.value,
                )  # fmt: skip
                await uow.notices.end(notice.id, NoticeState.FAILED, now)
            elif delivery.kind is DeliveryKind.BLOCKED:
                log.info("player %d blocked the bot: marked unreachable", notice.player_id)
                await uow.notices.mark_unreachable(notice.player_id, now, delivery.reason)
                await uow.notices.end(notice.id, NoticeState.UNREACHABLE, now)
            elif notice.attempts + 1 >= MAX_ATTEMPTS:
                log.warning("notice %s failed for good: %s", notice.dedup_key, delivery.reason)
                await uow.notices.end(notice.id, NoticeState.FAILED, now)
            else:
                until = now + timedelta(seconds=2 ** (notice.attempts + 1))
                await uow.notices.postpone(notice.id, until, attempts=notice.attempts + 1)
            await uow.commit()
        return 1 if delivery.kind is not DeliveryKind.RETRY_AFTER else 0

    async def _end(self, due: DueNotice, state: NoticeState) -> None:
        async with self._uow() as uow:
            await uow.notices.end(due.notice.id, state, self._clock.now())
            await uow.commit()


# What a channel answers when the bot may not post there (403: not an administrator, removed;
# 400: no such chat, or the post refused): terminal for the post.
_CHANNEL_REFUSALS = frozenset({DeliveryKind.BLOCKED, DeliveryKind.REJECTED})


class NoticeSender:
    """Runs `SendNotices` while holding the sender's lock; waits for it otherwise."""

    def __init__(
        self, send: SendNotices, lock: LeaderLock, *, poll: float = 0.2, lock_poll: float = 1.0
    ) -> None:
        self._send = send
        self._lock = lock
        self._poll = poll
        self._lock_poll = lock_poll

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with self._lock.claim() as held:
                    while held and not stop.is_set() and await self._lock.still_held():
                        if not await self._send():
                            await pause(stop, self._poll)
                if not stop.is_set():
                    await pause(stop, self._lock_poll)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("the notice sender failed; retrying", exc_info=True)
                await pause(stop, self._lock_poll)
