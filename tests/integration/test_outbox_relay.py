"""The outbox relay on the real PostgreSQL and Redis: it delivers everything at least once, in
order per aggregate, through crashes, Redis outages, a competing relay and rows that commit out
of id order (writing the events: test_outbox.py).

Longer than most test modules: its tests share the relay's fixtures (a Redis stream, a TCP
proxy that cuts Redis, a relay that crashes between publishing and marking)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from adapters.event_wire.envelope import STREAM, decode_envelope, player_channel
from adapters.postgres.outbox import SqlOutboxFeed
from adapters.redis_client import create_redis
from adapters.redis_events import RedisEventPublisher
from application.betting import SettleDiceBetCommand
from application.ports import EventEnvelope
from application.relay import OutboxRelay, RelaySettings
from tests.integration.outbox_rows import dice_bet, outbox_rows, rows_of_aggregate

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FAST = RelaySettings(poll_interval=0.01, batch_size=50, min_backoff=0.02, max_backoff=0.2)


@pytest.fixture
async def redis(servers) -> AsyncIterator[Redis]:
    client = create_redis(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def stream(redis) -> AsyncIterator[str]:
    """A stream of this test's own, so other tests' relays cannot interfere."""
    name = f"croupier:test-events:{secrets.token_hex(4)}"
    yield name
    await redis.delete(name)


@pytest.fixture
def lock_key() -> int:
    return secrets.randbelow(2**62)


@pytest.fixture
def make_relay(engine, redis, stream, lock_key):
    def make(publisher=None, **settings) -> OutboxRelay:
        publisher = publisher or RedisEventPublisher(redis, stream=stream, max_stream_length=None)
        feed = SqlOutboxFeed(engine, lock_key=lock_key)
        return OutboxRelay(feed, publisher, RelaySettings(**{**_FAST_FIELDS, **settings}))

    return make


_FAST_FIELDS = {
    "lock_poll": 0.05,
    "poll_interval": FAST.poll_interval,
    "batch_size": FAST.batch_size,
    "min_backoff": FAST.min_backoff,
    "max_backoff": FAST.max_backoff,
}


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield task
    finally:
        stop.set()
        if not task.done():
            await asyncio.wait_for(task, 10)


async def _until(check: Callable[[], object], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


async def _stream(redis: Redis, name: str) -> list[EventEnvelope]:
    # In pages: the relay publishes every event the session owed, thousands of them, and one
    # XRANGE of all of them was seen to outlast the client's 2 s socket timeout on a busy
    # machine.
    envelopes: list[EventEnvelope] = []
    start = "-"
    while entries := await redis.xrange(name, min=start, count=500):
        envelopes.extend(decode_envelope(fields[b"payload"]) for _, fields in entries)
        start = "(" + entries[-1][0].decode()
    return envelopes


async def _published(engine, event_ids: set[uuid.UUID]) -> bool:
    async with engine.connect() as conn:
        unpublished = await conn.scalar(
            text(
                "SELECT count(*) FROM outbox_events WHERE event_id = ANY(CAST(:ids AS uuid[]))"
                " AND NOT published"
            ),
            {"ids": list(event_ids)},
        )
    return unpublished == 0


async def _make_traffic(funded_player, place, settle, players: int = 3, bets: int = 4):
    """Some players with deposits and bets; their events' ids."""
    made = []
    for _ in range(players):
        player = await funded_player(1000)
        made.append(player)
        receipts = await asyncio.gather(*(place(dice_bet(player.id, 10)) for _ in range(bets)))
        for i, receipt in enumerate(receipts[: bets // 2]):
            value = 2 + (i % 5)
            await settle(SettleDiceBetCommand(receipt.bet.id, player.id, 9000 + i, value))
    return made


async def _owed(engine, players) -> list:
    ids = [p.id for p in players]
    return await outbox_rows(engine, "player_ids && CAST(:ids AS bigint[])", ids=ids)


def _assert_delivered_in_order(delivered: Sequence[EventEnvelope], owed: Sequence) -> None:
    """Every owed event arrived; per aggregate, first arrivals are in sequence order."""
    wanted = {r.event_id for r in owed}
    first_seen: dict[uuid.UUID, EventEnvelope] = {}
    for envelope in delivered:
        if envelope.event_id in wanted:
            first_seen.setdefault(envelope.event_id, envelope)
    assert set(first_seen) == wanted, f"{len(wanted - set(first_seen))} events never arrived"
    per_aggregate: dict[tuple[str, str], list[int]] = {}
    for envelope in first_seen.values():  # dict order: order of first arrival
        per_aggregate.setdefault((envelope.aggregate_type, envelope.aggregate_id), []).append(
            envelope.sequence
        )
    for aggregate, sequences in per_aggregate.items():
        assert sequences == sorted(sequences), f"{aggregate} arrived out of order: {sequences}"


async def test_the_relay_publishes_everything_in_order_and_marks_it(
    funded_player, place, settle, engine, redis, stream, make_relay
):
    players = await _make_traffic(funded_player, place, settle)
    owed = await _owed(engine, players)
    relay = make_relay()
    async with running(relay):
        await _until(lambda: _published(engine, {r.event_id for r in owed}))
    delivered = await _stream(redis, stream)
    _assert_delivered_in_order(delivered, owed)
    # The stream entry's own fields repeat the envelope's.
    [(_, fields)] = await redis.xrange(stream, count=1)
    envelope = decode_envelope(fields[b"payload"])
    assert fields[b"event_id"].decode() == str(envelope.event_id)
    assert fields[b"aggregate"].decode() == f"{envelope.aggregate_type}:{envelope.aggregate_id}"
    assert int(fields[b"sequence"]) == envelope.sequence


async def test_a_bet_reaches_the_players_channel_live(
    funded_player, place, engine, servers, make_relay
):
    player = await funded_player(1000)
    listener = create_redis(servers.redis_url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(player_channel(player.id))
    try:
        await pubsub.get_message(timeout=1)  # the subscription's confirmation
        async with running(make_relay()) as task:
            # Caught up with whatever other tests left behind first.
            await _until(lambda: _published_all(engine))
            started = time.monotonic()
            receipt = await place(dice_bet(player.id, 10))
            seen = []
            while len(seen) < 2 and time.monotonic() - started < 5:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message is not None:
                    seen.append(decode_envelope(message["data"]))
            latency = time.monotonic() - started
            assert not task.done()
        types = {e.type for e in seen}
        assert types == {"bet.placed", "ledger.transaction_posted"}, types
        assert all(player.id in e.player_ids for e in seen)
        assert {e.data.get("bet_id") for e in seen} >= {str(receipt.bet.id)}
        assert latency < 1.0, f"the bet's events took {latency:.3f}s to arrive"
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def _published_all(engine) -> bool:
    async with engine.connect() as conn:
        return not await conn.scalar(text("SELECT count(*) FROM outbox_events WHERE NOT published"))


class CrashAfterPublishing:
    """Publishes for real, then the process "dies" before the relay can mark anything: the
    call never returns (the test then cancels the relay, as a SIGKILL would end it)."""

    def __init__(self, inner: RedisEventPublisher, batches_before_crash: int) -> None:
        self._inner = inner
        self._left = batches_before_crash
        self.crashed = asyncio.Event()

    async def publish(self, events):
        await self._inner.publish(events)
        self._left -= 1
        if self._left <= 0:
            self.crashed.set()
            await asyncio.Event().wait()  # killed here, between publish and mark


async def test_a_relay_killed_between_publish_and_mark_delivers_everything_after_restart(
    funded_player, place, settle, engine, redis, stream, make_relay
):
    players = await _make_traffic(funded_player, place, settle)
    owed = await _owed(engine, players)
    real = RedisEventPublisher(redis, stream=stream, max_stream_length=None)
    crashing = CrashAfterPublishing(real, batches_before_crash=2)
    stop = asyncio.Event()
    task = asyncio.create_task(make_relay(crashing, batch_size=7).run(stop))
    await asyncio.wait_for(crashing.crashed.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with running(make_relay()):  # the restart
        await _until(lambda: _published(engine, {r.event_id for r in owed}))
    delivered = await _stream(redis, stream)
    _assert_delivered_in_order(delivered, owed)
    ids = [e.event_id for e in delivered]
    assert len(ids) > len(set(ids)), "the batch published before the crash comes again"


class TcpProxy:
    """A switchable TCP forwarder to Redis: `down()` drops every connection and refuses new
    ones, like a Redis outage; `up()` serves again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src, dst):
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


async def test_a_redis_outage_loses_and_reorders_nothing(
    funded_player, place, settle, engine, redis, stream, make_relay, servers
):
    from redis.asyncio.connection import parse_url

    target = parse_url(servers.redis_url)
    proxy = TcpProxy(target.get("host", "127.0.0.1"), int(target.get("port", 6379)))
    await proxy.up()
    through_proxy = Redis(
        host="127.0.0.1", port=proxy.port, socket_timeout=1, socket_connect_timeout=1
    )
    publisher = RedisEventPublisher(through_proxy, stream=stream, max_stream_length=None)
    relay = make_relay(publisher)
    try:
        first = await _make_traffic(funded_player, place, settle, players=1)
        owed_first = await _owed(engine, first)
        async with running(relay) as task:
            await _until(lambda: _published(engine, {r.event_id for r in owed_first}))
            await proxy.down()
            during = await _make_traffic(funded_player, place, settle, players=2)
            owed_during = await _owed(engine, during)
            await asyncio.sleep(1.0)  # the relay keeps failing and backing off meanwhile
            assert not task.done()
            assert not any(r.published for r in await _owed(engine, during)), (
                "nothing is marked while Redis is down"
            )
            await proxy.up()
            await _until(lambda: _published(engine, {r.event_id for r in owed_during}))
        delivered = await _stream(redis, stream)
        _assert_delivered_in_order(delivered, [*owed_first, *owed_during])
    finally:
        await through_proxy.aclose()
        with contextlib.suppress(Exception):
            await proxy.down()


class Recording:
    """Keeps what the relay hands a publisher, each event's stored JSON decoded back into its
    envelope (so it must be a whole one)."""

    def __init__(self) -> None:
        self.events: list[EventEnvelope] = []

    async def publish(self, events):
        self.events.extend(decode_envelope(e.envelope) for e in events)


async def test_only_one_relay_publishes_at_a_time(funded_player, place, settle, engine, make_relay):
    first, second = Recording(), Recording()
    relay_a, relay_b = make_relay(first), make_relay(second)
    async with running(relay_a) as task_a:
        # Until the first one holds the lock: an outbox already published by others proves
        # nothing, and on a busy machine its claim could come after the second relay's.
        await _until(lambda: relay_a.holding)
        async with running(relay_b):
            players = await _make_traffic(funded_player, place, settle, players=2)
            owed = await _owed(engine, players)
            await _until(lambda: _published(engine, {r.event_id for r in owed}))
            await asyncio.sleep(0.2)
            assert second.events == [], "the second relay waits for the lock"
            _assert_delivered_in_order(first.events, owed)
        assert not task_a.done()
    # With the first one gone, a waiting relay takes over.
    async with running(relay_b):
        players = await _make_traffic(funded_player, place, settle, players=1)
        owed = await _owed(engine, players)
        await _until(lambda: _published(engine, {r.event_id for r in owed}))
    _assert_delivered_in_order(second.events, owed)


async def test_stream_entries_carry_the_envelope_and_player_channels_route(
    funded_player, place, engine, redis, stream, make_relay
):
    player = await funded_player(100)
    await place(dice_bet(player.id, 10))
    owed = await _owed(engine, [player])
    async with running(make_relay()):
        await _until(lambda: _published(engine, {r.event_id for r in owed}))
    delivered = [e for e in await _stream(redis, stream) if player.id in e.player_ids]
    assert {e.type for e in delivered} == {"ledger.transaction_posted", "bet.placed"}
    for envelope in delivered:
        assert isinstance(envelope.occurred_at, datetime)
        assert envelope.occurred_at.tzinfo is not None
        assert envelope.occurred_at <= datetime.now(UTC)


async def test_the_shared_relay_fixture_publishes_to_the_real_stream(
    funded_player, place, engine, redis, event_relay
):
    player = await funded_player(100)
    receipt = await place(dice_bet(player.id, 10))
    [placed] = await rows_of_aggregate(engine, "bet", receipt.bet.id)
    async with event_relay():
        await _until(lambda: _published(engine, {placed.event_id}))
    # The stream is capped, and other tests publish too: look at its newest entries.
    newest = [decode_envelope(f[b"payload"]) for _, f in await redis.xrevrange(STREAM, count=5000)]
    assert placed.event_id in {e.event_id for e in newest}


# -- the watermark: commit order against id order ----------------------------------------------


def _envelopes(aggregate: str, count: int = 1) -> str:
    """`count` events of a test aggregate, numbered by the outbox, as outbox_append takes
    them."""
    return json.dumps(
        [
            {
                "event_id": str(uuid.uuid4()),
                "type": "test.happened",
                "version": 1,
                "aggregate_type": "test",
                "aggregate_id": aggregate,
                "sequence": None,
                "occurred_at": "2026-12-02T12:00:00Z",
                "player_ids": [],
                "data": {"version": 1},
            }
            for _ in range(count)
        ]
    )


_APPEND = text("SELECT outbox_append(CAST(:events AS jsonb))")


async def _relay_once(make_relay, publisher: Recording, feed_key: int, engine) -> None:
    """One claim, batches until caught up (each batch sees the outbox as it is then)."""
    relay = make_relay(publisher, batch_size=2)
    async with SqlOutboxFeed(engine, lock_key=feed_key).claim() as session:
        assert session is not None
        while await relay.relay_batch(session):
            pass


async def test_a_row_committed_after_a_newer_one_is_published_not_skipped(
    engine, make_relay, lock_key
):
    seen = Recording()
    await _relay_once(make_relay, seen, lock_key, engine)  # caught up with earlier tests
    slow, fast = f"slow-{uuid.uuid4()}", f"fast-{uuid.uuid4()}"
    async with engine.connect() as writer:
        transaction = await writer.begin()
        slow_id = await writer.scalar(_APPEND, {"events": _envelopes(slow)})  # not committed
        async with engine.begin() as other:
            fast_id = await other.scalar(_APPEND, {"events": _envelopes(fast, 3)})
        assert slow_id < fast_id  # the smaller id commits last
        seen.events.clear()
        await _relay_once(make_relay, seen, lock_key, engine)
        assert [e.aggregate_id for e in seen.events] == [fast] * 3
        await transaction.commit()
    async with SqlOutboxFeed(engine, lock_key=lock_key).claim() as session:
        assert session is not None
        assert await session.backlog() == 1  # the relay's backlog counts it too
    seen.events.clear()
    await _relay_once(make_relay, seen, lock_key, engine)
    assert [e.aggregate_id for e in seen.events] == [slow], "the older row was not skipped"
    assert [e.sequence for e in seen.events] == [1]


async def test_concurrent_writers_and_a_running_relay_deliver_everything_in_order(
    engine, make_relay
):
    """Writers hold their transactions open for random moments before and after appending
    (so ids, transaction ids and commit order all disagree) while a relay publishes in
    batches of three: every event arrives, each aggregate's in sequence order."""
    aggregates = [f"agg-{uuid.uuid4()}" for _ in range(6)]
    rng = random.Random(19)

    async def writer(aggregate: str, pause: float, hold: float) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_current_xact_id()"))  # its id, taken early
            await asyncio.sleep(pause)
            await conn.execute(_APPEND, {"events": _envelopes(aggregate, rng.randint(1, 3))})
            await asyncio.sleep(hold)

    seen = Recording()
    async with running(make_relay(seen, batch_size=3)):
        await asyncio.gather(
            *(
                writer(rng.choice(aggregates), rng.random() * 0.05, rng.random() * 0.05)
                for _ in range(60)
            )
        )
        wanted = {
            r.event_id
            for r in await outbox_rows(
                engine, "aggregate_id = ANY(CAST(:a AS text[]))", a=aggregates
            )
        }
        await _until(lambda: wanted <= {e.event_id for e in seen.events})
    owed = await outbox_rows(engine, "aggregate_id = ANY(CAST(:a AS text[]))", a=aggregates)
    _assert_delivered_in_order(seen.events, owed)
    for aggregate in aggregates:
        sequences = [r.sequence for r in owed if r.aggregate_id == aggregate]
        assert sorted(sequences) == list(range(1, len(sequences) + 1))
