"""Publishing events to Redis: a stream for services, pub/sub channels for live push.

Each event is XADDed to the stream `croupier:events` with the fields `event_id`, `type`,
`version`, `aggregate` ("{aggregate_type}:{aggregate_id}"), `sequence` and `payload` (the
whole JSON envelope, `application.ports.EventEnvelope`). The stream is capped with
`MAXLEN ~ max_stream_length` (approximate trimming, cheap for Redis): a consumer that falls
further behind than that loses the oldest entries and must catch up from the outbox table.

The same JSON envelope is PUBLISHed on `croupier:live:player:{id}` for each player it concerns,
and on `croupier:live:staff` for the staff feed (withdrawal requests, risk flags including large
wins). Pub/sub is fire-and-forget: live clients that were not subscribed miss the message and
read the current state from the API instead.

A batch goes out in one pipelined round trip (no MULTI); any error raises, and the relay sends
the whole batch again (consumers dedupe by event id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from redis.asyncio import Redis

from adapters.event_wire.envelope import STREAM, channels, encode_envelope
from application.ports import EventEnvelope

DEFAULT_MAX_STREAM_LENGTH: Final = 1_000_000


class RedisEventPublisher:
    def __init__(
        self,
        client: Redis,
        *,
        stream: str = STREAM,
        max_stream_length: int | None = DEFAULT_MAX_STREAM_LENGTH,
    ) -> None:
        self._client = client
        self._stream = stream
        self._max_length = max_stream_length

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        if not events:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for event in events:
                envelope = encode_envelope(event)
                pipe.xadd(
                    self._stream,
                    {
                        "event_id": str(event.event_id),
                        "type": event.type,
                        "version": event.version,
                        "aggregate": f"{event.aggregate_type}:{event.aggregate_id}",
                        "sequence": event.sequence,
                        "payload": envelope,
                    },
                    maxlen=self._max_length,
                    approximate=True,
                )
                for channel in channels(event):
                    pipe.publish(channel, envelope)
            await pipe.execute(raise_on_error=True)
