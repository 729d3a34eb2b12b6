"""The publisher on a real Valkey: what it writes is, byte for byte, what redis-py's pipeline
wrote before the publisher packed its batches itself (stream fields in order, payloads,
channels, the stream's trimming), and a batch that fails is sent again whole, the connection
it failed on never handed to anyone else with replies unread. (The relay's guarantees over
it: test_outbox_relay.py.)"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError, ResponseError

from adapters import redis_events
from adapters.event_wire.envelope import (
    CRASH_CHANNEL,
    STAFF_CHANNEL,
    channels,
    encode_envelope,
    player_channel,
    stored,
)
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher, stream_of
from application.ports import EventEnvelope
from application.relay import OutboxRelay, PublishFailed, RelaySettings
from tests.fake_outbox import FakeOutbox

pytestmark = pytest.mark.integration


@pytest.fixture(params=["stream", "read_response"])
def reads(request, monkeypatch) -> str:
    """How the publisher reads its replies: off the connection's stream (redis-py's private
    `_reader`, as the pinned redis-py keeps it), or with redis-py's public `read_response`
    one by one, as it would should an upgrade move that stream."""
    if request.param == "read_response":
        monkeypatch.setattr(redis_events, "stream_of", lambda connection: None)
    return request.param


@pytest.fixture
async def redis_and_streams(servers, reads) -> AsyncIterator[tuple[Redis, str, str]]:
    """A client, and two streams of this test's own (the publisher's and the pipeline's),
    deleted after it; each test runs with both ways of reading replies."""
    client = create_redis(servers.redis_url)
    names = [f"croupier:test-events:{secrets.token_hex(4)}" for _ in range(2)]
    try:
        yield client, names[0], names[1]
    finally:
        await client.delete(*names)
        await client.aclose()


class PipelinePublisher:
    """The publisher as it was (up to issue 19): redis-py's pipeline, one command at a time,
    kept here as the reference of what goes on the wire."""

    def __init__(self, client: Redis, stream: str, max_stream_length: int | None) -> None:
        self._client, self._stream, self._max_length = client, stream, max_stream_length

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
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


def _events(players: tuple[int, int]) -> list[EventEnvelope]:
    """Events of every routing: two players, none, the staff feed, the crash channel; an
    aggregate id and a payload beyond ASCII, a long payload, nested data."""
    first, second = players
    at = datetime(2026, 12, 4, 5, 30, 1, 123456, tzinfo=UTC)

    def event(
        kind: str, aggregate: str, sequence: int, players: list[int], data: dict[str, object]
    ) -> EventEnvelope:
        aggregate_type, aggregate_id = aggregate.split(":", 1)
        return EventEnvelope(
            uuid.uuid4(), kind, 1, aggregate_type, aggregate_id, sequence, at, players, data
        )

    entries = [{"account": "player", "amount": -100}, {"account": "house", "amount": 100}]
    return [
        event("bet.placed", "bet:b-1", 1, [first], {"version": 1, "stake": 100, "game": "dice"}),
        event("ledger.transaction_posted", "transaction:t-1", 1, [first, second], {"e": entries}),
        event(
            "withdrawal.requested",
            "withdrawal:w-ü",
            1,
            [second],
            {"version": 1, "note": "größer € 漢字", "padding": "x" * 70_000},
        ),
        event("crash.round_opened", "crash_round:r-1", 3, [], {"version": 1, "round": 9}),
        event("test.happened", "test:t", 12_345_678_901, [], {}),
    ]


async def _entries(redis: Redis, stream: str) -> list[dict[bytes, bytes]]:
    return [fields for _, fields in await redis.xrange(stream)]


async def _messages(pubsub, count: int) -> list[tuple[bytes, bytes]]:  # type: ignore[no-untyped-def]
    seen = []
    for _ in range(count * 4):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if message is not None:
            seen.append((message["channel"], message["data"]))
        if len(seen) == count:
            break
    return seen


@pytest.mark.parametrize("max_stream_length", [None, 1_000_000])
async def test_the_publisher_writes_what_the_pipeline_wrote(redis_and_streams, max_stream_length):
    redis, ours, theirs = redis_and_streams
    players = (10**12 + secrets.randbelow(10**9), 10**12 + secrets.randbelow(10**9))
    events = _events(players)
    names = [*(player_channel(p) for p in players), STAFF_CHANNEL, CRASH_CHANNEL]
    pubsub = redis.pubsub()
    await pubsub.subscribe(*names)
    try:
        await RedisEventPublisher(redis, stream=ours, max_stream_length=max_stream_length).publish(
            [stored(e) for e in events]
        )
        published = await _messages(pubsub, 6)
        await PipelinePublisher(redis, theirs, max_stream_length).publish(events)
        expected = await _messages(pubsub, 6)
    finally:
        await pubsub.aclose()
    assert await _entries(redis, ours) == await _entries(redis, theirs)
    assert published == expected
    # And pinned by hand: the fields, in order, and each payload's bytes.
    entries = await _entries(redis, ours)
    for fields, event in zip(entries, events, strict=True):
        assert list(fields.items()) == [
            (b"event_id", str(event.event_id).encode()),
            (b"type", event.type.encode()),
            (b"version", b"1"),
            (b"aggregate", f"{event.aggregate_type}:{event.aggregate_id}".encode()),
            (b"sequence", str(event.sequence).encode()),
            (b"payload", encode_envelope(event)),
        ]
    first, second = (player_channel(p).encode() for p in players)
    payloads = [encode_envelope(e) for e in events]
    assert published == [
        (first, payloads[0]),
        (first, payloads[1]),
        (second, payloads[1]),
        (second, payloads[2]),
        (STAFF_CHANNEL.encode(), payloads[2]),
        (CRASH_CHANNEL.encode(), payloads[3]),
    ]


async def test_a_failed_batch_is_sent_again_whole_on_a_clean_connection(redis_and_streams):
    """A stream key of the wrong type makes Valkey answer the XADDs with errors among the
    PUBLISHes' replies: the publish raises, the relay marks nothing, and once the key is
    fixed the same batch goes out again whole, in order, on the same client."""
    redis, stream, _ = redis_and_streams
    await redis.set(stream, "not a stream")
    events = _events((10**12 + 1, 10**12 + 2))
    outbox = FakeOutbox(events)
    publisher = RedisEventPublisher(redis, stream=stream, max_stream_length=None)
    relay = OutboxRelay(outbox, publisher, RelaySettings(batch_size=10))
    with pytest.raises(PublishFailed) as failed:
        await relay.relay_batch(outbox)
    assert isinstance(failed.value.__cause__, ResponseError)
    assert "WRONGTYPE" in str(failed.value.__cause__)
    assert outbox.published == set()
    # The client's connections answer their own commands (no reply left over from the batch).
    assert await redis.get(stream) == b"not a stream"
    assert await redis.delete(stream) == 1
    assert await relay.relay_batch(outbox) == len(events)
    assert outbox.published == {1, 2, 3, 4, 5}
    assert [f[b"event_id"] for f in await _entries(redis, stream)] == [
        str(e.event_id).encode() for e in events
    ]
    assert await redis.ping()


async def test_the_pinned_redis_py_keeps_the_stream_the_replies_are_read_off(servers):
    """The fast reads depend on where redis-py keeps a connection's stream (a private
    attribute). If this fails after an upgrade, the relay still publishes (on redis-py's own
    reads, the tests above) but spends more CPU doing it: find where the stream went."""
    client = create_redis(servers.redis_url)
    try:
        await client.ping()
        pool = client.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            assert isinstance(stream_of(connection), asyncio.StreamReader)
        finally:
            await pool.release(connection)
        await connection.disconnect()
        with pytest.raises(ConnectionError):  # a closed connection is not read from
            stream_of(connection)
    finally:
        await client.aclose()
