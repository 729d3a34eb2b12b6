"""Reading the published events as a consumer group of the Redis stream `croupier:events`
(`XREADGROUP`): each entry goes to one consumer of the group; an entry read but not
acknowledged (`XACK`) stays pending for its consumer, which reads it again after a restart.
The group is created at the stream's end when first used: it reads what is published from
then on (older events are in the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from adapters.event_wire.envelope import STREAM, decode_envelope
from application.ports import ReceivedEvent


class RedisEventStream:
    def __init__(self, client: Redis, group: str, consumer: str, *, stream: str = STREAM):
        self._client = client
        self._group = group
        self._consumer = consumer
        self._stream = stream
        self._ready = False
        self._backlog = True  # first the entries this consumer was given and never acknowledged

    async def _ensure_group(self) -> None:
        if self._ready:
            return
        try:
            await self._client.xgroup_create(self._stream, self._group, id="$", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._ready = True

    async def read(self, count: int, block_ms: int) -> Sequence[ReceivedEvent]:
        await self._ensure_group()
        start = "0" if self._backlog else ">"
        answer = await self._client.xreadgroup(
            self._group,
            self._consumer,
            {self._stream: start},
            count=count,
            block=None if self._backlog else block_ms,
        )
        streams: list[Any] = list(answer or ())
        entries: list[tuple[Any, Any]] = [e for _, found in streams for e in found]
        if self._backlog and not entries:
            self._backlog = False
        received = []
        for entry_id, fields in entries:
            receipt = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            payload = fields.get(b"payload", fields.get("payload")) if fields else None
            if payload is None:  # trimmed away while pending: nothing left to read
                await self.ack([receipt])
                continue
            received.append(ReceivedEvent(receipt, decode_envelope(payload)))
        return received

    async def ack(self, receipts: Sequence[str]) -> None:
        if receipts:
            await self._client.xack(self._stream, self._group, *receipts)
