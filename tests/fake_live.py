"""In-memory fakes of the live doors' ports: the feed every app instance receives live
messages from (Redis pub/sub in production), and the Mini App's session tokens. The real
subscriber is tested on Redis (tests/entrypoints/test_http_live.py), the signed tokens in
tests/unit/test_player_sessions.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from application.ports import LiveSink


class FakeLiveFeed:
    """Hands its sink to the test, which delivers, interrupts and resubscribes by hand
    (`feed.sink.deliver(...)`); listens until cancelled, as the real feed does."""

    def __init__(self) -> None:
        self.sink: LiveSink | None = None
        self.listening = asyncio.Event()
        self.cancelled = False

    async def listen(self, sink: LiveSink) -> None:
        self.sink = sink
        self.listening.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


class FakePlayerSessions:
    """Tokens that say what they hold ("session:<player>:<expiry>"); no signature, since the
    use cases only need the contract: a token reads back as its player until it expires, and
    anything else reads as None."""

    LIFETIME = timedelta(hours=1)

    def issue(self, player_id: int, now: datetime) -> tuple[str, datetime]:
        expires = now + self.LIFETIME
        return f"session:{player_id}:{expires.timestamp()}", expires

    def read(self, token: str, now: datetime) -> int | None:
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != "session" or float(parts[2]) <= now.timestamp():
            return None
        return int(parts[1])
