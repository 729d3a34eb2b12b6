"""Publishing events to Redis: a stream for services, pub/sub channels for live push.

Each event is XADDed to the stream `croupier:events` with the fields `event_id`, `type`,
`version`, `aggregate` ("{aggregate_type}:{aggregate_id}"), `sequence` and `payload` (the
whole JSON envelope, `application.ports.EventEnvelope`, as the outbox stored it:
`application.ports.StoredEvent`). The stream is capped with
`MAXLEN ~ max_stream_length` (approximate trimming, cheap for Redis): a consumer that falls
further behind than that loses the oldest entries and must catch up from the outbox table.

The same JSON envelope is PUBLISHed on `croupier:live:player:{id}` for each player it concerns,
and on `croupier:live:staff` for the staff feed (withdrawal requests, risk flags including large
wins). Pub/sub is fire-and-forget: live clients that were not subscribed miss the message and
read the current state from the API instead.

A batch goes out in one pipelined round trip (no MULTI); any error raises, and the relay sends
the whole batch again (consumers dedupe by event id).

The batch's commands are written here as one RESP buffer, and their replies read back in bulk,
on a connection of the client's pool: redis-py's pipeline packed each argument and parsed
each reply in Python, under a timeout of its own, which was three quarters of the relay's CPU
(bench/README.md, "The relay's Redis writes", issue 19). The commands are the ones the
pipeline sent, argument for argument (tests/integration/test_redis_events.py compares the two).
The replies are read off the connection's stream, which redis-py keeps in a private attribute;
should a redis-py release keep it elsewhere, they are read with redis-py's own
`read_response` instead, one by one (`stream_of`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError, InvalidResponse, ResponseError

from adapters.event_wire.envelope import STREAM, channels
from application.ports import StoredEvent

DEFAULT_MAX_STREAM_LENGTH: Final = 1_000_000

# An XADD's fields after its stream and trimming, as one format: the entry id `*`, then the
# fields in the order consumers have always seen them.
_ENTRY: Final = (
    b"$1\r\n*\r\n"
    b"$8\r\nevent_id\r\n$%d\r\n%b\r\n"
    b"$4\r\ntype\r\n$%d\r\n%b\r\n"
    b"$7\r\nversion\r\n$%d\r\n%b\r\n"
    b"$9\r\naggregate\r\n$%d\r\n%b\r\n"
    b"$8\r\nsequence\r\n$%d\r\n%b\r\n"
    b"$7\r\npayload\r\n$%d\r\n%b\r\n"
)
_ENTRY_ARGUMENTS: Final = 1 + 2 * 6
_PUBLISH: Final = b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
_READ_SIZE: Final = 1 << 16


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(value), value)


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
        trim = [] if max_stream_length is None else [b"MAXLEN", b"~", b"%d" % max_stream_length]
        head = [b"XADD", stream.encode(), *trim]
        # Everything an XADD says before its entry: the same for every event.
        self._xadd = b"*%d\r\n" % (len(head) + _ENTRY_ARGUMENTS) + b"".join(map(_bulk, head))

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        if not events:
            return
        commands, replies = self._commands(events)
        pool = self._client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command(commands)
            await _read_replies(connection, replies)
        except BaseException:
            # Replies may be left unread: the connection must not serve anyone else.
            await connection.disconnect(nowait=True)
            raise
        finally:
            await pool.release(connection)

    def _commands(self, events: Sequence[StoredEvent]) -> tuple[bytes, int]:
        """The batch's commands as one buffer, and how many replies they get."""
        parts: list[bytes] = []
        xadd = self._xadd
        for event in events:
            envelope = event.envelope
            event_id = event.event_id.encode()
            kind = event.type.encode()
            version = b"%d" % event.version
            aggregate = f"{event.aggregate_type}:{event.aggregate_id}".encode()
            sequence = b"%d" % event.sequence
            parts.append(xadd)
            parts.append(
                _ENTRY
                % (
                    len(event_id),
                    event_id,
                    len(kind),
                    kind,
                    len(version),
                    version,
                    len(aggregate),
                    aggregate,
                    len(sequence),
                    sequence,
                    len(envelope),
                    envelope,
                )
            )
            for channel in channels(event):
                name = channel.encode()
                parts.append(_PUBLISH % (len(name), name, len(envelope), envelope))
        return b"".join(parts), len(parts) - len(events)


async def _read_replies(connection: AbstractConnection, count: int) -> None:
    """Read `count` replies off the connection: an XADD's entry id (a bulk string) or a
    PUBLISH's count of receivers (an integer). The first error reply raises it (the batch is
    sent again whole), as does any other kind of reply."""
    reader = stream_of(connection)
    if reader is None:
        # redis-py keeps its stream elsewhere now: its own reads, one reply at a time (slower,
        # the same replies; tests/integration/test_redis_events.py runs both ways).
        for _ in range(count):
            await connection.read_response()  # an error reply raises
        return
    buffer = b""
    while count:
        # Each read waits at most the client's socket timeout, as redis-py's own reads do
        # (a long batch's replies may take longer in all).
        async with asyncio.timeout(connection.socket_timeout):
            chunk = await reader.read(_READ_SIZE)
        if not chunk:
            raise ConnectionError("Redis closed the connection while replying")
        buffer = buffer + chunk if buffer else chunk
        position, count = _parse_replies(buffer, count)
        buffer = buffer[position:]


def stream_of(connection: AbstractConnection) -> asyncio.StreamReader | None:
    """The connection's own stream, which redis-py's parser reads replies from one at a time,
    or None if this redis-py does not keep it where the pinned one (8.1.0) does: `_reader`, a
    private attribute, so it is looked for rather than assumed, and a test fails when an
    upgrade moves it (the relay then still works, on redis-py's slower reads). A connection
    that closed raises, as redis-py's reads would."""
    if not hasattr(connection, "_reader"):
        return None
    reader = connection._reader
    if reader is None:
        raise ConnectionError("the Redis connection closed")
    return reader if isinstance(reader, asyncio.StreamReader) else None


def _parse_replies(buffer: bytes, count: int) -> tuple[int, int]:
    """Parse whole replies from the start of `buffer`, up to `count` of them: where the first
    one not yet whole starts, and how many replies are still owed."""
    position, size = 0, len(buffer)
    while count:
        end = buffer.find(b"\r\n", position)
        if end < 0:
            break
        kind = buffer[position]
        if kind == 0x3A:  # ":" an integer
            position = end + 2
        elif kind == 0x24:  # "$" a bulk string
            length = int(buffer[position + 1 : end])
            stop = end + 2 if length < 0 else end + 2 + length + 2
            if stop > size:
                break
            position = stop
        elif kind == 0x2D:  # "-" an error
            raise ResponseError(buffer[position + 1 : end].decode(errors="replace"))
        else:
            raise InvalidResponse(f"unexpected reply from Redis: {buffer[position:end]!r}")
        count -= 1
    return position, count
