"""Messages for live clients, received by every app instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One message for live clients, as the feed decoded it: `event` is the event's name
    (`domain.events`, e.g. "player.blocked"), which is all the hub reads; `text` is what the
    clients are sent, as it was published, which the hub passes on without reading."""

    event: str
    text: str


class LiveSink(Protocol):
    """Where a `LiveFeed` hands what it receives (`application.live.LiveHub`)."""

    def deliver(self, topic: str, message: LiveMessage) -> None:
        """One message for `topic` ("player:42", "staff")."""
        ...

    def subscribed(self) -> None:
        """The feed receives from now on (first time, or again after `interrupted`)."""
        ...

    def interrupted(self) -> None:
        """The feed lost its broker: messages published until `subscribed` are missed."""
        ...


class LiveFeed(Protocol):
    """Messages for live clients (players' sockets, the staff feed), published by any process
    and received by every app instance: Redis pub/sub. At most once; events are durable in the
    outbox and the streams, never here."""

    async def listen(self, sink: LiveSink) -> None:
        """Receive into `sink` until cancelled, reconnecting when the broker goes away."""
        ...
