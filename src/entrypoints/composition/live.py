"""Live updates: the instance's one Redis subscription and the hub that hands its messages to
the WebSocket clients (entrypoints.http.live)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.redis_live import RedisLiveFeed
from application.live import LiveHub
from application.ports import LiveFeed
from entrypoints.composition.endpoints import Endpoints


class LiveProvider(Provider):
    """The instance's live feed: one Redis subscription, started by the first socket and
    stopped when the container closes (app shutdown)."""

    scope = Scope.APP

    @provide
    def feed(self, endpoints: Endpoints) -> LiveFeed:
        return RedisLiveFeed(endpoints.redis_url)

    @provide
    async def hub(self, feed: LiveFeed) -> AsyncIterator[LiveHub]:
        hub = LiveHub(feed)
        hub.start()
        try:
            yield hub
        finally:
            await hub.stop()
