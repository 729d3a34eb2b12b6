"""The in-process fan-out of live messages on a fake feed (tests/fake_live.py): topics, slow
clients, feed interruptions. Messages are decoded as the Redis feed decodes them
(`adapters.redis_live.live_message`); the Redis feed and the sockets are tested through the
app (tests/entrypoints/test_http_live.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.redis_live import live_message
from application.live import (
    RESYNC,
    STAFF_TOPIC,
    Ended,
    LiveHub,
    Resync,
    Subscription,
    SubscriptionEnded,
    player_topic,
)
from application.ports import LiveMessage
from tests.fake_live import FakeLiveFeed


async def started(queue_size: int = 8) -> tuple[LiveHub, FakeLiveFeed]:
    feed = FakeLiveFeed()
    hub = LiveHub(feed, queue_size=queue_size)
    hub.start()
    await asyncio.wait_for(feed.listening.wait(), 1)
    return hub, feed


def message(text: str) -> LiveMessage:
    """A published text as the feed hands it to the hub."""
    decoded = live_message(text.encode())
    assert decoded is not None, text
    return decoded


async def next_of(subscription: Subscription) -> LiveMessage | Resync:
    return await asyncio.wait_for(subscription.next(), 1)


async def text_of(subscription: Subscription) -> str:
    """The text the socket sends for the next message, which is an event's."""
    got = await next_of(subscription)
    assert isinstance(got, LiveMessage), got
    return got.text


async def test_messages_reach_only_their_topic_and_stop_after_unsubscribing():
    hub, _ = await started()
    with hub.subscribe(player_topic(1)) as one, hub.subscribe(STAFF_TOPIC) as staff:
        hub.deliver(player_topic(2), message('{"type":"x","n":2}'))
        hub.deliver(player_topic(1), message('{"type":"x","n":1}'))
        hub.deliver(STAFF_TOPIC, message('{"type":"s"}'))
        assert await text_of(one) == '{"type":"x","n":1}'
        assert await text_of(staff) == '{"type":"s"}'
        assert hub.clients == 2
    assert hub.clients == 0
    hub.deliver(player_topic(1), message('{"type":"x"}'))  # nobody listens: nothing happens
    await hub.stop()


async def test_a_slow_client_is_cut_off_and_the_others_are_not():
    hub, _ = await started(queue_size=2)
    with hub.subscribe(player_topic(1)) as slow, hub.subscribe(player_topic(1)) as quick:
        for n in range(3):
            hub.deliver(player_topic(1), message(f'{{"type":"x","n":{n}}}'))
            assert await text_of(quick) == f'{{"type":"x","n":{n}}}'
        with pytest.raises(SubscriptionEnded) as ended:
            await next_of(slow)  # what it had queued is dropped with it
        assert ended.value.why is Ended.TOO_SLOW
        with pytest.raises(SubscriptionEnded):
            await next_of(slow)
        assert hub.clients == 1
    await hub.stop()


async def test_clients_are_told_to_resync_when_the_feed_comes_back():
    hub, feed = await started()
    assert feed.sink is hub
    assert not hub.receiving
    assert not await hub.wait_receiving(0.01)
    with hub.subscribe(player_topic(1)) as one, hub.subscribe(STAFF_TOPIC) as staff:
        hub.subscribed()  # the first subscription: nothing was missed
        assert await hub.wait_receiving(0.01)
        hub.interrupted()
        assert not hub.receiving
        hub.subscribed()
        assert await next_of(one) == RESYNC
        assert await next_of(staff) == RESYNC
        hub.deliver(STAFF_TOPIC, message('{"type":"s"}'))
        assert await text_of(staff) == '{"type":"s"}'
    await hub.stop()


async def test_stopping_the_hub_ends_every_subscription_and_the_feed():
    hub, feed = await started()
    subscription = hub.subscribe(player_topic(1))
    await hub.stop()
    assert feed.cancelled
    with pytest.raises(SubscriptionEnded) as ended:
        await next_of(subscription)
    assert ended.value.why is Ended.HUB_STOPPED
    assert hub.clients == 0


async def test_a_players_block_ends_their_subscriptions_after_delivering_it():
    blocked = json.dumps({"type": "player.blocked", "player_ids": [1], "data": {"player_id": 1}})
    hub, _ = await started()
    with (
        hub.subscribe(player_topic(1)) as phone,
        hub.subscribe(player_topic(1)) as laptop,
        hub.subscribe(player_topic(2)) as other,
        hub.subscribe(STAFF_TOPIC) as staff,
    ):
        hub.deliver(player_topic(1), message('{"type":"bet.settled"}'))
        hub.deliver(player_topic(1), message(blocked))
        hub.deliver(player_topic(1), message('{"type":"late"}'))  # nobody listens any more
        hub.deliver(STAFF_TOPIC, message(blocked))  # only a player's own topic ends with it
        for subscription in (phone, laptop):
            assert await text_of(subscription) == '{"type":"bet.settled"}'
            assert await text_of(subscription) == blocked  # the last word: why it ends
            with pytest.raises(SubscriptionEnded) as ended:
                await next_of(subscription)
            assert ended.value.why is Ended.BLOCKED
        # A message merely mentioning the event is no block; other players go on.
        hub.deliver(player_topic(2), message('{"type":"x","note":"player.blocked"}'))
        assert await text_of(other) == '{"type":"x","note":"player.blocked"}'
        assert await text_of(staff) == blocked
        assert hub.clients == 2
    await hub.stop()


def test_the_feed_decodes_the_event_name_and_passes_the_text_on_unchanged():
    text = '{"type": "bet.settled", "data": {"note": "player.blocked"}}'
    assert live_message(text.encode()) == LiveMessage("bet.settled", text)
    assert live_message(text) == LiveMessage("bet.settled", text)
    for junk in (b"not json", b"\xff\xfe", b"[1, 2]", b'{"type": 7}', b'{"id": "e1"}'):
        assert live_message(junk) is None, junk
