"""The in-process cache of the API keys and the lobby's games (`application.refreshed_cache`),
on plain coroutines for its reads: one read a key however many callers find it missing or
expired, a busy key read again in the background before it expires, never a value older than
`max_age`, and failures not cached."""

from __future__ import annotations

import asyncio
import gc

import pytest

from application.refreshed_cache import RefreshedCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Rows:
    """A store whose reads wait until the test lets them finish, counting them."""

    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def __call__(self, key: str) -> str:
        self.reads += 1
        value = f"{key}:{self.value}"  # what the row holds when the read starts
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return value


def cache(rows: Rows, clock: Clock, **kwargs: int) -> RefreshedCache[str, str]:
    return RefreshedCache(rows, max_age=4.0, refresh_after=3.0, monotonic=clock, **kwargs)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_of_a_missing_key_share_one_read():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    rows.gate.clear()
    callers = [asyncio.ensure_future(keys.get("a")) for _ in range(50)]
    await settle()
    rows.gate.set()
    assert await asyncio.gather(*callers) == ["a:v1"] * 50
    assert rows.reads == 1


async def test_a_fresh_entry_is_answered_without_a_read():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    assert await keys.get("a") == "a:v1"
    rows.value = "v2"
    clock.now += 2.9
    assert await keys.get("a") == "a:v1"
    assert rows.reads == 1


async def test_an_ageing_entry_is_read_again_in_the_background_once_and_nobody_waits():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    await keys.get("a")
    rows.value, rows.gate = "v2", asyncio.Event()  # the next read hangs until let go
    clock.now += 3.5
    # Answered at once from the entry in hand, while one read runs behind.
    answers = [await asyncio.wait_for(keys.get("a"), 0.5) for _ in range(20)]
    assert answers == ["a:v1"] * 20
    assert rows.reads == 2
    rows.gate.set()
    await settle()
    assert await keys.get("a") == "a:v2"
    assert rows.reads == 2
    # The new entry ages from when its read started (at 103.5): fresh until 106.5.
    clock.now = 106.4
    assert await keys.get("a") == "a:v2"
    assert rows.reads == 2


async def test_an_entry_is_never_used_past_its_max_age():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    await keys.get("a")
    rows.value = "v2"  # revoked, say
    clock.now += 4.0
    assert await keys.get("a") == "a:v2"
    assert rows.reads == 2


async def test_past_its_max_age_callers_wait_for_the_background_read_under_way():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    await keys.get("a")
    rows.value, rows.gate = "v2", asyncio.Event()
    clock.now += 3.5
    assert await keys.get("a") == "a:v1"  # starts the background read
    clock.now += 1.0  # past max_age while that read still runs
    waiting = asyncio.ensure_future(keys.get("a"))
    await settle()
    assert not waiting.done()
    rows.gate.set()
    assert await waiting == "a:v2"
    assert rows.reads == 2


async def test_a_failed_read_reaches_its_callers_and_is_not_cached():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    rows.fail = ConnectionError("database gone")
    rows.gate.clear()
    callers = [asyncio.ensure_future(keys.get("a")) for _ in range(3)]
    await settle()
    rows.gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    assert rows.reads == 1
    rows.fail = None
    assert await keys.get("a") == "a:v1"
    assert rows.reads == 2


async def test_a_failed_background_read_keeps_the_entry_until_its_max_age(caplog):
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    await keys.get("a")
    rows.fail = ConnectionError("database gone")
    clock.now += 3.5
    assert await keys.get("a") == "a:v1"
    await settle()
    assert await keys.get("a") == "a:v1"  # the next caller tries again, still answered
    await settle()
    assert rows.reads == 3
    clock.now += 0.5
    with pytest.raises(ConnectionError):
        await keys.get("a")
    # The background reads' failures, awaited by nobody, were looked at: none is logged as an
    # exception never retrieved when its task is collected.
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_forgotten_key_is_read_again_and_a_read_under_way_is_not_kept():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    await keys.get("a")
    rows.gate.clear()
    clock.now += 3.5
    assert await keys.get("a") == "a:v1"  # a background read starts, sees v1
    rows.value = "v2"
    keys.forget("a")  # the row was changed by this process
    rows.gate.set()
    assert await keys.get("a") == "a:v2"
    await settle()
    assert await keys.get("a") == "a:v2"


async def test_a_caller_that_goes_away_does_not_cancel_the_read_of_the_others():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock)
    rows.gate.clear()
    leaving = asyncio.ensure_future(keys.get("a"))
    staying = asyncio.ensure_future(keys.get("a"))
    await settle()
    leaving.cancel()
    await settle()
    rows.gate.set()
    assert await staying == "a:v1"
    assert leaving.cancelled()
    assert rows.reads == 1


async def test_made_up_keys_cannot_grow_it_without_bound():
    rows, clock = Rows(), Clock()
    keys = cache(rows, clock, most=10)
    for number in range(25):
        await keys.get(f"k{number}")
    assert len(keys._entries) <= 10
    assert await keys.get("k24") == "k24:v1"
    assert rows.reads == 25


def test_refresh_after_must_come_before_max_age():
    with pytest.raises(ValueError, match="refresh_after"):
        RefreshedCache(Rows(), max_age=1.0, refresh_after=2.0)
