"""Telegram's limits for one bot's messages: about 30 a second overall, one a second in a
chat, and no more than 20 a minute in a group or channel
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this; that the
group limit holds for channels too is the Bot Support's word, not the FAQ's); a 429 holds
every send for its `retry_after`, since Telegram counts it against the bot.

A chat is a group or channel when its id is negative ("-1001234567890") or an "@name" (the
only chats a bot may address by name); a private chat's id is a user's, positive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class SendPace:
    def __init__(
        self,
        *,
        per_second: float = 30.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second <= 0 or chat_interval < 0 or group_interval < 0:
            raise ValueError("the send rate must be positive, the chat intervals not negative")
        self._gap = 1 / per_second
        self._chat_interval = chat_interval
        self._group_interval = group_interval  # 20 a minute
        self._now = now
        self._sleep = sleep
        self._next = 0.0  # the next send overall, not before
        self._held_until = 0.0
        self._chats: dict[int | str, float] = {}  # the next send in a chat, not before

    def chat_wait(self, chat_id: int | str) -> float:
        """Seconds until this chat may get another message (0: now)."""
        return max(0.0, self._chats.get(chat_id, 0.0) - self._now())

    async def wait(self, chat_id: int | str) -> None:
        """Until a message may go to this chat; it is then counted as sent."""
        while (ready := max(self._next, self._held_until, self._chats.get(chat_id, 0.0))) > (
            now := self._now()
        ):
            await self._sleep(ready - now)
        self._next = now + self._gap
        self._chats[chat_id] = now + self._interval(chat_id)
        if len(self._chats) > 10_000:  # forget chats whose second is over
            self._chats = {c: t for c, t in self._chats.items() if t > now}

    def _interval(self, chat_id: int | str) -> float:
        is_group = isinstance(chat_id, str) or chat_id < 0
        return self._group_interval if is_group else self._chat_interval

    def hold(self, seconds: float) -> None:
        """A 429: nothing is sent for `seconds`."""
        self._held_until = max(self._held_until, self._now() + seconds)
