"""The outbox relay on in-memory fakes (tests/fake_outbox.py): it publishes in outbox order in
batches, marks a batch only after publishing it, retries the same events after a publisher
outage, claims again after losing its database session, and waits while another relay runs.
The real outbox's lock and order are tested on PostgreSQL and Redis
(tests/integration/test_outbox_relay.py, test_faults.py)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest

from application.relay import OutboxRelay, PublishFailed, RelaySettings
from tests.fake_outbox import FakeOutbox, FakePublisher, envelope

FAST = RelaySettings(
    poll_interval=0.001, batch_size=2, min_backoff=0.001, max_backoff=0.004, lock_poll=0.001
)


async def _run_until(relay: OutboxRelay, done: Callable[[], bool]) -> None:
    """Run the relay until `done()` holds (at most about two seconds), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        for _ in range(2000):
            if done():
                break
            await asyncio.sleep(0.001)
        assert done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 1)


async def test_a_batch_is_published_in_order_then_marked():
    outbox = FakeOutbox([envelope(n) for n in range(1, 4)])
    publisher = FakePublisher()
    relay = OutboxRelay(outbox, publisher, FAST)
    assert await relay.relay_batch(outbox) == 2
    assert ([e.sequence for e in publisher.published], outbox.published) == ([1, 2], {1, 2})
    assert await relay.relay_batch(outbox) == 1
    assert await relay.relay_batch(outbox) == 0  # caught up
    assert [e.sequence for e in publisher.published] == [1, 2, 3]
    assert relay.published == 3


async def test_a_failed_publish_marks_nothing_and_the_same_events_go_out_later():
    outbox = FakeOutbox([envelope(n) for n in range(1, 6)])
    publisher = FakePublisher(failures=3)
    relay = OutboxRelay(outbox, publisher, FAST)
    with pytest.raises(PublishFailed):
        await relay.relay_batch(outbox)
    assert (outbox.published, publisher.published) == (set(), [])
    await _run_until(relay, lambda: len(outbox.published) == 5)
    assert [e.sequence for e in publisher.published] == [1, 2, 3, 4, 5]


async def test_a_lost_session_is_claimed_again_and_new_events_follow():
    outbox = FakeOutbox([envelope(1)])
    outbox.broken = True  # the first claim's connection dies
    publisher = FakePublisher()
    relay = OutboxRelay(outbox, publisher, FAST)
    await _run_until(relay, lambda: outbox.published == {1})
    assert outbox.claims >= 2
    outbox.add(envelope(2))
    await _run_until(relay, lambda: outbox.published == {1, 2})
    assert [e.sequence for e in publisher.published] == [1, 2]


async def test_a_relay_waits_while_another_runs_and_takes_over_after_it():
    outbox = FakeOutbox([envelope(1)])
    outbox.held = True
    publisher = FakePublisher()
    relay = OutboxRelay(outbox, publisher, FAST)
    await _run_until(relay, lambda: outbox.claims >= 3)
    assert publisher.published == []
    outbox.held = False
    await _run_until(relay, lambda: outbox.published == {1})
    assert [e.sequence for e in publisher.published] == [1]


def test_relay_settings_are_checked():
    with pytest.raises(ValueError, match="positive"):
        RelaySettings(batch_size=0)
    with pytest.raises(ValueError, match="min_backoff"):
        RelaySettings(min_backoff=2, max_backoff=1)


async def test_a_relay_says_whether_it_holds_the_lock():
    outbox = FakeOutbox()
    outbox.held = True
    relay = OutboxRelay(outbox, FakePublisher(), FAST)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.01)
    assert not relay.holding  # another relay runs: this one waits
    outbox.held = False
    for _ in range(1000):
        if relay.holding:
            break
        await asyncio.sleep(0.001)
    assert relay.holding
    stop.set()
    await asyncio.wait_for(task, 1)
    assert not relay.holding


async def test_a_batch_the_session_cut_short_is_followed_at_once_not_after_a_poll():
    # The session bounds a batch's bytes: a backlog of large rows comes one row a batch, each
    # short of the relay's limit. Were each taken for the end of the backlog, the relay would
    # wait a poll (here a minute) after every one.
    outbox = FakeOutbox([envelope(n) for n in range(1, 6)], cut=1)
    publisher = FakePublisher()
    relay = OutboxRelay(outbox, publisher, dataclasses.replace(FAST, poll_interval=60.0))
    await _run_until(relay, lambda: len(outbox.published) == 5)
    assert [e.sequence for e in publisher.published] == [1, 2, 3, 4, 5]
