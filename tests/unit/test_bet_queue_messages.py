"""Which batches `BetQueue` runs at once: bets submitted together (PlaceBatch messages) up to
`message_batches` beside the `batches` of queued bets, and never two batches holding one
player; and how long each batch's bets waited for it, as the queue tells its `waits`. The
placement itself is replaced by a gate the test opens, so what runs when is visible; what a
batch writes is tested on PostgreSQL (tests/integration/test_bet_queue.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any

import pytest

from application.betting import BetOutcome, PlaceBet, PlaceBetCommand
from application.betting.queue import OVERTAKEN_AT_MOST, BetQueue
from application.house import HouseBook
from domain.errors import Overloaded
from domain.money import XTR, Money
from tests.casino_on_fakes import FixedSeeds
from tests.fakes import FakeClock, FakeDatabase, RecordingQueueWaits, SequentialIds


class _Gated(BetQueue):
    """A queue whose batches wait at a gate: `running` holds the players of each batch in
    progress, in the order they started; `open(n)` lets the n-th started batch finish."""

    def __init__(self, **options: Any) -> None:
        db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
        super().__init__(PlaceBet(db, clock, ids, house, FixedSeeds()), **options)
        self.started: list[tuple[int, ...]] = []
        self.running: list[tuple[int, ...]] = []
        self._gates: list[asyncio.Event] = []

    async def _outcomes(self, commands: list[PlaceBetCommand]) -> list[BetOutcome]:
        players = tuple(sorted({command.player_id for command in commands}))
        gate = asyncio.Event()
        self._gates.append(gate)
        self.started.append(players)
        self.running.append(players)
        try:
            await gate.wait()
        finally:
            self.running.remove(players)
        return [f"placed {command.bet_id}" for command in commands]  # type: ignore[misc]

    async def open(self, n: int) -> None:
        self._gates[n].set()
        await _settle()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def _bets(*players: int) -> list[PlaceBetCommand]:
    return [
        PlaceBetCommand(player, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
        for player in players
    ]


async def _answered(answers: Sequence[asyncio.Future[object]]) -> list[object]:
    return list(await asyncio.gather(*answers))


async def test_messages_of_other_players_run_two_at_once_and_the_third_waits():
    queue = _Gated(batches=1, message_batches=2)
    first = queue.submit(_bets(1, 2), together=True)
    second = queue.submit(_bets(3, 4), together=True)
    third = queue.submit(_bets(5, 6), together=True)
    await _settle()
    assert queue.running == [(1, 2), (3, 4)]
    await queue.open(0)
    assert queue.running == [(3, 4), (5, 6)]
    await queue.open(1)
    await queue.open(2)
    assert len(await _answered([*first, *second, *third])) == 6


async def test_one_message_batch_places_messages_one_after_another():
    queue = _Gated(batches=1, message_batches=1)
    queue.submit(_bets(1, 2), together=True)
    queue.submit(_bets(3, 4), together=True)
    await _settle()
    assert queue.running == [(1, 2)]
    await queue.open(0)
    assert queue.running == [(3, 4)]
    await queue.open(1)


async def test_a_message_waits_while_a_batch_holds_one_of_its_players_and_keeps_its_turn():
    queue = _Gated(batches=1, message_batches=2)
    queue.submit(_bets(1))  # a bet alone, running
    await _settle()
    held = queue.submit(_bets(1, 2), together=True)
    free = queue.submit(_bets(3, 4), together=True)
    await _settle()
    # The message with player 1 waits; the one after it, with other players, goes.
    assert queue.running == [(1,), (3, 4)]
    await queue.open(0)
    assert queue.running == [(3, 4), (1, 2)]
    await queue.open(1)
    await queue.open(2)
    assert len(await _answered([*held, *free])) == 4


async def test_queued_bets_keep_their_one_batch_beside_running_messages():
    queue = _Gated(batches=1, message_batches=2)
    queue.submit(_bets(1, 2), together=True)
    queue.submit(_bets(10))
    await _settle()
    # A message does not take the queued bets' lane, nor they its.
    assert queue.running == [(1, 2), (10,)]
    later = [*queue.submit(_bets(11)), *queue.submit(_bets(12))]
    await _settle()
    assert queue.running == [(1, 2), (10,)]  # one batch of queued bets at a time
    await queue.open(1)
    # The bets that waited go together, in one batch.
    assert queue.running == [(1, 2), (11, 12)]
    await queue.open(0)
    await queue.open(2)
    assert len(await _answered(later)) == 2
    assert queue.started == [(1, 2), (10,), (11, 12)]


async def test_a_message_with_a_player_of_a_running_message_waits_for_it():
    queue = _Gated(batches=1, message_batches=4)
    queue.submit(_bets(1, 2), together=True)
    queue.submit(_bets(2, 3), together=True)
    queue.submit(_bets(4, 5), together=True)
    await _settle()
    assert queue.running == [(1, 2), (4, 5)]
    await queue.open(0)
    assert queue.running == [(4, 5), (2, 3)]
    await queue.open(1)
    await queue.open(2)


async def test_a_waiting_message_is_passed_twice_at_most_by_later_work_sharing_its_players():
    assert OVERTAKEN_AT_MOST == 2  # the scenario below passes the waiting message twice
    queue = _Gated(batches=1, message_batches=2)
    queue.submit(_bets(1, 9), together=True)
    queue.submit(_bets(1, 2), together=True)  # waits: player 1's message runs
    queue.submit(_bets(2, 3), together=True)  # passes it (none of its players is busy)
    await _settle()
    assert queue.running == [(1, 9), (2, 3)]
    queue.submit(_bets(1, 4), together=True)
    queue.submit(_bets(2, 7), together=True)
    queue.submit(_bets(5, 6), together=True)
    await queue.open(0)
    assert queue.running == [(2, 3), (1, 4)]  # passed a second time
    await queue.open(1)
    # The waiting message still waits for (1, 4); (2, 7), with its player 2, now waits
    # behind it, and (5, 6), which shares nothing with it, goes ahead.
    assert queue.running == [(1, 4), (5, 6)]
    await queue.open(2)
    assert queue.running == [(5, 6), (1, 2)]
    await queue.open(3)
    await queue.open(4)
    assert queue.running == [(2, 7)]
    await queue.open(5)
    assert queue.started == [(1, 9), (2, 3), (1, 4), (5, 6), (1, 2), (2, 7)]


async def test_bets_of_a_waiting_messages_player_wait_behind_it_once_they_passed_it_twice():
    queue = _Gated(batches=1, message_batches=1)
    queue.submit(_bets(1, 9), together=True)
    held = queue.submit(_bets(1, 2), together=True)  # waits for the message lane
    bets = queue.submit(_bets(2))  # the bets' lane is free: it goes ahead
    await _settle()
    bets += queue.submit(_bets(2))
    await queue.open(1)
    assert queue.running == [(1, 9), (2,)]  # the second goes ahead too
    bets += queue.submit(_bets(2))
    await queue.open(2)
    # Player 2's third bet does not pass the message: it waits behind it.
    assert queue.running == [(1, 9)]
    await queue.open(0)
    assert queue.running == [(1, 2)]
    await queue.open(3)
    assert queue.running == [(2,)]
    await queue.open(4)
    assert len(await _answered([*held, *bets])) == 5


async def test_bets_queued_before_a_waiting_message_do_not_count_as_passing_it():
    queue = _Gated(batches=1, message_batches=2)
    queue.submit(_bets(7, 8), together=True)
    queue.submit(_bets(50))  # the bets' lane is busy from here
    await _settle()
    queue.submit(_bets(2))  # queued before the message below
    queue.submit(_bets(2, 7), together=True)  # waits: player 7's message runs
    queue.submit(_bets(2))  # queued after it: passes it once
    await queue.open(1)
    assert queue.running == [(7, 8), (2,)]  # the bet before the message
    await queue.open(2)
    assert queue.running == [(7, 8), (2,)]  # the bet after it: passes it once
    queue.submit(_bets(2))
    await queue.open(3)
    # A second pass is still allowed: the bet before the message did not count.
    assert queue.running == [(7, 8), (2,)]
    assert len(queue.started) == 5
    await queue.open(4)
    await queue.open(0)
    assert queue.running == [(2, 7)]
    await queue.open(5)


def test_a_queue_needs_a_message_lane():
    with pytest.raises(ValueError, match="message_batches"):
        _Gated(message_batches=0)


class _Counting(deque):  # type: ignore[type-arg]
    """A deque that counts the items taken from its left."""

    taken = 0

    def popleft(self):  # type: ignore[no-untyped-def]
        self.taken += 1
        return super().popleft()


async def test_a_busy_queue_leaves_its_waiting_bets_unread_until_something_can_start():
    # Every call's submit looks for work to start; while the one batch of queued bets runs
    # and no message waits, it must not walk the queued bets (thousands, on a busy stream).
    queue = _Gated(batch_size=1000, batches=1, message_batches=2)
    queue.submit(_bets(1))
    await _settle()
    queue.submit(_bets(*range(2, 500)))
    waiting = queue._waiting = _Counting(queue._waiting)
    queue.submit(_bets(500))
    assert waiting.taken == 0
    queue.submit(_bets(501, 502), together=True)  # a message may start: the walk finds it
    await _settle()
    assert queue.running == [(1,), (501, 502)]
    assert waiting.taken == 500  # 499 queued bets looked at and put back, then the message
    for n in range(3):  # the bet alone, the message, then the 499 queued bets together
        await queue.open(n)
    assert queue.running == []
    assert queue.started[2] == tuple(range(2, 501))


async def test_each_batch_tells_how_long_its_longest_waiting_bet_waited():
    waits = RecordingQueueWaits()
    queue = _Gated(batches=1, message_batches=1, waits=waits, clock=waits.clock)
    queue.submit(_bets(1))  # a free slot: it starts at once
    await _settle()
    assert waits.told == [(0.0, False)]
    waits.now += 0.002
    first = queue.submit(_bets(2))
    waits.now += 0.003
    second = queue.submit(_bets(3))  # both wait for the running batch
    waits.now += 0.004
    await queue.open(0)
    # One batch of the two; its first bet waited 7 ms, from its submit to the batch's start.
    assert queue.running == [(2, 3)]
    assert waits.told[1] == (pytest.approx(0.007), False)
    assert len(waits.told) == 2
    await queue.open(1)
    assert len(await _answered([*first, *second])) == 2


async def test_a_message_tells_its_wait_in_its_own_lane():
    waits = RecordingQueueWaits()
    queue = _Gated(batches=1, message_batches=1, waits=waits, clock=waits.clock)
    queue.submit(_bets(1, 2), together=True)
    await _settle()
    waits.now += 0.001
    held = queue.submit(_bets(3, 4), together=True)  # the message lane is busy
    waits.now += 0.025
    await queue.open(0)
    assert waits.told == [(0.0, True), (pytest.approx(0.025), True)]
    await queue.open(1)
    assert len(await _answered(held)) == 2


async def test_past_its_limit_the_queue_refuses_at_once_and_takes_again_as_it_drains():
    queue = _Gated(batches=1, message_batches=1, limit=3)
    running = queue.submit(_bets(1))  # runs: it waits for nothing
    await _settle()
    waiting = queue.submit(_bets(2, 3))  # two wait
    waiting += queue.submit(_bets(4))  # three: the limit
    refused = queue.submit(_bets(5))
    # Refused at once, nothing queued for it: its answer is there before any batch ends.
    assert refused[0].done()
    with pytest.raises(Overloaded) as raised:
        await refused[0]
    assert raised.value.code == "overloaded"
    # A message is taken whole or refused whole.
    message = queue.submit(_bets(6, 7), together=True)
    assert all(isinstance(answer.exception(), Overloaded) for answer in message)
    await queue.open(0)  # the three waiting bets start together: the queue is empty again
    assert queue.running == [(2, 3, 4)]
    again = queue.submit(_bets(5))
    assert not again[0].done()
    await queue.open(1)
    await queue.open(2)
    assert len(await _answered([*running, *waiting, *again])) == 5
    assert queue.started == [(1,), (2, 3, 4), (5,)]


async def test_an_empty_queue_takes_a_message_larger_than_its_limit():
    queue = _Gated(batches=1, message_batches=1, limit=2)
    message = queue.submit(_bets(1, 2, 3, 4), together=True)
    await _settle()
    assert queue.running == [(1, 2, 3, 4)]
    # Something waits now (a message counts as its bets): the next is refused.
    queue.submit(_bets(9), together=False)  # waits behind nothing: the bets' lane is free
    await _settle()
    assert queue.running == [(1, 2, 3, 4), (9,)]
    queue.submit(_bets(5, 6, 7), together=True)  # waits for the message lane: 3 queued
    refused = queue.submit(_bets(8))
    assert isinstance(refused[0].exception(), Overloaded)
    for n in range(3):
        await queue.open(n)
    assert len(await _answered(message)) == 4
