"""Group commit for a crash round's many players: calls that arrive together are answered by
one batch (`PlaceRoundBet`, `CashOutRoundBet`), as `BetQueue` does for other bets.

A call that finds a free slot starts at once, alone; calls that arrive while every slot
(`batches`) is busy queue, and the next free slot takes up to `batch_size` of them at once.
No timer, no added wait. Unlike `BetQueue`, no player's calls need keeping apart: a player
holds one seat a round, and a second bet or cash-out of it in a batch is refused or replayed
as it would be one after the other."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from application.betting.queue import answer_batch, seen
from domain.errors import DomainError

Command = TypeVar("Command")
Answer = TypeVar("Answer")


class GroupCommit(Generic[Command, Answer]):
    """Answer each call with its own outcome of `run`, which takes a batch of commands and
    returns, in order, each one's answer or refusal (a `DomainError`, raised to its caller)."""

    def __init__(
        self,
        run: Callable[[list[Command]], Awaitable[list[Answer | DomainError]]],
        *,
        batch_size: int,
        batches: int,
    ) -> None:
        if batch_size < 1 or batches < 1:
            raise ValueError("a crash batch needs batch_size >= 1 and batches >= 1")
        self._run_batch = run
        self._batch_size = batch_size
        self._batches = batches
        self._running = 0
        self._waiting: deque[tuple[Command, asyncio.Future[Answer]]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()  # the event loop keeps weak references

    async def __call__(self, command: Command) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        answer.add_done_callback(seen)
        self._waiting.append((command, answer))
        self._start()
        # Shielded: a caller that goes away must not cancel its neighbours' batch; its own
        # call is done or refused all the same, and a retry with the same id replays it.
        return await asyncio.shield(answer)

    def _start(self) -> None:
        while self._waiting and self._running < self._batches:
            size = min(self._batch_size, len(self._waiting))
            batch = [self._waiting.popleft() for _ in range(size)]
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[Command, asyncio.Future[Answer]]]) -> None:
        try:
            await answer_batch(
                [answer for _, answer in batch], self._run_batch([c for c, _ in batch])
            )
        finally:
            self._running -= 1
            self._start()
