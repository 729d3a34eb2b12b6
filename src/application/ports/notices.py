"""Notices (messages the bot sends first): where they are kept, how they reach Telegram, and
the events that fill them in."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.outbox import EventEnvelope
from domain.notices import DueNotice, NewNotice, Notice, NoticeState, NoticeValue


class NoticeStore(Protocol):
    """The notices of the database (`bot_notices`, `bot_unreachable`), in a unit of work."""

    async def add(self, notice: NewNotice, *, due: bool = False) -> bool:
        """Keep a notice, waiting (or due at once); False if its dedup key is already kept
        (nothing changes: the first stands)."""
        ...

    async def waiting(self, subject: str) -> Sequence[Notice]:
        """The notices waiting on `subject`, locked until the unit of work ends."""
        ...

    async def make_due(self, notice_id: int, data: Mapping[str, NoticeValue]) -> None:
        """A waiting notice, filled in with `data`, is due now."""
        ...

    async def waiting_subjects(self, limit: int) -> Sequence[str]:
        """The subjects notices still wait on, oldest notice first (up to `limit`)."""
        ...

    async def due(self, now: datetime, limit: int) -> Sequence[DueNotice]:
        """Up to `limit` due notices whose `not_before` has come, oldest first, with their
        player's chat, language and whether the player is unreachable."""
        ...

    async def end(self, notice_id: int, state: NoticeState, at: datetime) -> None:
        """A notice is sent, unreachable or failed."""
        ...

    async def postpone(self, notice_id: int, until: datetime, *, attempts: int) -> None: ...

    async def mark_unreachable(self, player_id: int, at: datetime, reason: str) -> None:
        """The player blocked the bot: nothing more is sent to them until they write again."""
        ...

    async def reachable_again(self, player_id: int) -> bool:
        """The player wrote to the bot; True if they had been unreachable."""
        ...

    async def last_sent(self, player_id: int, kind: str) -> datetime | None:
        """When the last notice of `kind` about this player was sent (None: never)."""
        ...


class DeliveryKind(enum.StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # Telegram's 429: wait `retry_after` seconds, then again
    BLOCKED = "blocked"  # 403: the player blocked the bot (or deleted their account)
    FAILED = "failed"  # anything else: tried again later, up to MAX_ATTEMPTS
    # a 400 other than a missing chat: Telegram refused this message (the same request would
    # be refused again); a player's notice is still tried again, a channel's post ends
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Delivery:
    kind: DeliveryKind
    retry_after: float = 0.0
    reason: str = ""


class Messenger(Protocol):
    """Telegram, for notices: writes one in the player's language and sends it."""

    async def send(self, due: DueNotice) -> Delivery: ...


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """An event read by a consumer, with what acknowledges it (a Redis stream entry id)."""

    receipt: str
    envelope: EventEnvelope


class EventSource(Protocol):
    """The published events as one consumer group reads them: each event goes to one
    consumer of the group, and comes again (to it or another) until acknowledged."""

    async def read(self, count: int, block_ms: int) -> Sequence[ReceivedEvent]:
        """Events not yet acknowledged that this consumer was given before (after a restart),
        then new ones; waits up to `block_ms` for one."""
        ...

    async def ack(self, receipts: Sequence[str]) -> None: ...
