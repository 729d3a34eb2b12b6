"""BetQueue's lanes on fakes: batches that run at once never share a house shard (a lane is
the player's shard modulo the lanes), a message submitted together holds every lane it needs,
and nothing jumps the queue of its lane. The batches are held open by the test (`Gated`), so
what runs at once is seen, not guessed."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from application.betting import BetOutcome, PlaceBet, PlaceBetCommand
from application.betting.queue import BetQueue
from application.house import HouseBook
from domain.money import XTR, Money
from tests.casino_on_fakes import FixedSeeds
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

SHARDS = 4


class Gated(BetQueue):
    """A queue whose batches wait for the test to open them, each recorded as the players it
    holds; a bet's answer is its bet id (the placing itself is tested elsewhere)."""

    def __init__(self, *, batches: int, batch_size: int = 64) -> None:
        db, clock, ids = FakeDatabase(), FakeClock(), SequentialIds()
        place = PlaceBet(db, clock, ids, HouseBook(SHARDS), FixedSeeds())
        super().__init__(place, batch_size=batch_size, batches=batches)
        self.running: list[tuple[list[int], asyncio.Event]] = []
        self.ran: list[list[int]] = []

    async def _outcomes(self, commands: list[PlaceBetCommand]) -> list[BetOutcome]:
        gate = asyncio.Event()
        entry = ([c.player_id for c in commands], gate)
        self.running.append(entry)
        await gate.wait()
        self.running.remove(entry)
        self.ran.append(entry[0])
        return [c.bet_id for c in commands]  # type: ignore[misc]

    def shards_running(self) -> list[set[int]]:
        return [{p % SHARDS for p in players} for players, _ in self.running]

    async def open(self, players: list[int]) -> None:
        """Let the running batch of exactly these players finish, then let the queue start
        what waited."""
        (gate,) = [gate for running, gate in self.running if running == players]
        gate.set()
        for _ in range(5):
            await asyncio.sleep(0)


def bet(player_id: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_batches_running_at_once_never_share_a_house_shard():
    queue = Gated(batches=2)
    commands = [bet(p) for p in (1, 2, 3, 4, 5, 6, 7, 8, 11)]
    answers = queue.submit(commands[:1])  # lane 1 (shard 1), alone
    answers += queue.submit(commands[1:2])  # lane 0 (shard 2), alone, at once
    await settle()
    assert [players for players, _ in queue.running] == [[1], [2]]
    # Both lanes busy: every shard's bets wait in their own lane.
    answers += queue.submit(commands[2:])
    await settle()
    assert len(queue.running) == 2
    await queue.open([1])
    # Lane 1 (shards 1 and 3) takes all its waiting bets at once; lane 0's still wait.
    assert [players for players, _ in queue.running] == [[2], [3, 5, 7, 11]]
    await queue.open([2])
    assert [players for players, _ in queue.running] == [[3, 5, 7, 11], [4, 6, 8]]
    first, second = queue.shards_running()
    assert first == {1, 3}
    assert second == {0, 2}
    await queue.open([3, 5, 7, 11])
    await queue.open([4, 6, 8])
    assert [await a for a in answers] == [c.bet_id for c in commands]
    assert not queue.running


async def test_a_players_bets_wait_for_the_batch_holding_that_player_and_go_together():
    queue = Gated(batches=2)
    first = queue.submit([bet(5)])
    await settle()
    later = queue.submit([bet(5), bet(5), bet(5)])
    await settle()
    # The other lane is free, but these bets are not its: they wait behind their player.
    assert [players for players, _ in queue.running] == [[5]]
    await queue.open([5])
    assert [players for players, _ in queue.running] == [[5, 5, 5]]
    await queue.open([5, 5, 5])
    assert all(a.done() for a in [*first, *later])


async def test_a_message_together_holds_every_lane_it_needs_and_what_came_later_waits():
    queue = Gated(batches=2, batch_size=2)
    queue.submit([bet(1)])  # lane 1 busy
    await settle()
    before = queue.submit([bet(2), bet(4)])  # lane 0: a batch of its own, runs at once
    await settle()
    message = queue.submit([bet(3), bet(6), bet(10)], together=True)  # lanes 1 and 0
    after = queue.submit([bet(7), bet(8)])  # one a lane, behind the message in both
    await settle()
    assert [players for players, _ in queue.running] == [[1], [2, 4]]
    await queue.open([2, 4])
    # Lane 0 is free, but its head is the message, which waits for lane 1 as well; 8 waits
    # behind it.
    assert [players for players, _ in queue.running] == [[1]]
    await queue.open([1])
    # One batch, bigger than batch_size, holding both lanes.
    assert [players for players, _ in queue.running] == [[3, 6, 10]]
    await queue.open([3, 6, 10])
    assert sorted(players for players, _ in queue.running) == [[7], [8]]
    await queue.open([7])
    await queue.open([8])
    assert all(a.done() for a in [*before, *message, *after])
    assert queue.ran == [[2, 4], [1], [3, 6, 10], [7], [8]]


async def test_more_batches_than_shards_run_no_more_at_once_than_there_are_shards():
    queue = Gated(batches=8)
    queue.submit([bet(p) for p in range(1, 9)])
    await settle()
    # A lane a shard: four batches at once, each of one shard's players.
    assert sorted(queue.shards_running(), key=min) == [{0}, {1}, {2}, {3}]
    for players, _ in list(queue.running):
        await queue.open(players)
    assert sorted(map(tuple, queue.ran)) == [(1, 5), (2, 6), (3, 7), (4, 8)]


async def test_one_lane_is_the_queue_it_was():
    queue = Gated(batches=1, batch_size=3)
    queue.submit([bet(1)])
    await settle()
    queue.submit([bet(p) for p in (2, 3, 4, 5)])
    await settle()
    assert [players for players, _ in queue.running] == [[1]]
    await queue.open([1])
    assert [players for players, _ in queue.running] == [[2, 3, 4]]
    await queue.open([2, 3, 4])
    await queue.open([5])
    assert queue.ran == [[1], [2, 3, 4], [5]]


def test_a_queue_needs_a_lane():
    with pytest.raises(ValueError, match="batches"):
        Gated(batches=0)
