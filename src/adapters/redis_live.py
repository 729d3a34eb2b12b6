"""The live feed over Redis pub/sub: one pattern subscription per app instance on
`croupier:live:*`, so a message published once (by the event relay, on any machine) reaches the
clients connected to every instance behind the load balancer.

Channels: `croupier:live:player:{player_id}` and `croupier:live:staff`; each message a JSON
object with at least "id" and "type" (the event envelope), decoded here into a `LiveMessage`
(its "type", and its text passed on unchanged): the hub reads no JSON. Pub/sub keeps
nothing: while Redis is away messages are missed (the sink is told, so clients can refetch),
and the subscription is retried with capped exponential backoff."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from application.ports import LiveMessage, LiveSink

log = logging.getLogger(__name__)

# The channels `adapters.event_wire.envelope.channels` names for each envelope, all under one
# prefix: the rest of the name is the hub's topic ("player:42", "staff").
CHANNEL_PREFIX = "croupier:live:"
PATTERN = CHANNEL_PREFIX + "*"


class RedisLiveFeed:
    """A `LiveFeed`. It keeps a connection of its own (a pub/sub connection can do nothing
    else), named so that operators can see it in `CLIENT LIST`."""

    def __init__(
        self,
        url: str,
        *,
        first_backoff: float = 0.5,
        max_backoff: float = 10.0,
        poll_timeout: float = 1.0,
        health_check_interval: int = 10,
    ) -> None:
        self._url = url
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._poll_timeout = poll_timeout
        self._health_check_interval = health_check_interval
        self.client_name = f"croupier-live-{secrets.token_hex(4)}"

    def _client(self) -> Redis:
        return Redis.from_url(
            self._url,
            client_name=self.client_name,
            socket_connect_timeout=2,
            socket_timeout=5,
            socket_keepalive=True,
            # A half-open connection shows as a failed PING within this many seconds.
            health_check_interval=self._health_check_interval,
            # Errors come straight here, where they are logged, backed off and reported to the
            # sink; redis-py's own silent retries would hide the gap from clients.
            retry=Retry(NoBackoff(), 0),
            decode_responses=False,
        )

    async def listen(self, sink: LiveSink) -> None:
        backoff = self._first_backoff
        failures = 0
        while True:
            client = self._client()
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(PATTERN)
                while True:
                    message = await pubsub.get_message(timeout=self._poll_timeout)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        if failures:
                            log.warning("live feed: Redis is back after %d failure(s)", failures)
                        failures, backoff = 0, self._first_backoff
                        sink.subscribed()
                    elif message["type"] == "pmessage":
                        _pass_on(sink, message)
            except (RedisError, OSError) as error:
                failures += 1
                log.warning(
                    "live feed: Redis unavailable (%s); live clients miss messages, retrying in "
                    "%.1fs",
                    error or type(error).__name__,
                    backoff,
                )
                sink.interrupted()
            finally:
                await _close(pubsub, client)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)


def _pass_on(sink: LiveSink, message: dict[str, Any]) -> None:
    channel = message["channel"]
    if isinstance(channel, bytes):
        channel = channel.decode("utf-8", "replace")
    decoded = live_message(message["data"])
    if decoded is None:
        log.warning("live feed: dropped a message on %s that is not a JSON event", channel)
        return
    sink.deliver(channel.removeprefix(CHANNEL_PREFIX), decoded)


def live_message(data: bytes | str) -> LiveMessage | None:
    """A published message as the hub takes it: its event's name (the envelope's "type") and
    its text unchanged; None if it is not a JSON object with a "type"."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
        return None
    return LiveMessage(parsed["type"], text)


async def _close(pubsub: PubSub, client: Redis) -> None:
    try:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
    except (RedisError, OSError) as error:
        log.debug("live feed: closing after an error: %s", error)
