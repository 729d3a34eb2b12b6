"""A `StreamBets` call's commands and results: each command runs as it arrives, its result is
sent as it finishes. A place command goes to the process's bet queue with a done callback for
its answer, no task of its own; settle and void commands each run in a task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import TYPE_CHECKING

from croupier.v1 import betting_pb2
from entrypoints.observability import tracing

if TYPE_CHECKING:
    from entrypoints.grpc.bet_commands import BetCommands

# Settle and void commands of one stream processed at once (each holds a connection); more
# wait, which is the stream's back-pressure.
STREAM_CONCURRENCY = 32
# Place commands of one stream in flight at once: they wait in the process's `BetQueue`,
# which places them in batches, so many can be in flight without a connection each.
STREAM_PLACES = 256


async def stream_results(
    commands: BetCommands, request_iterator: AsyncIterator[betting_pb2.BetCommand]
) -> AsyncIterator[betting_pb2.BetResult]:
    """The results of a stream's commands, each tagged with its correlation id, as they
    finish. Up to STREAM_PLACES place commands are in flight (in the bet queue, so bets that
    arrive together, from this stream and any other call, share transactions), and up to
    STREAM_CONCURRENCY settle and void commands (each its own unit of work); more wait before
    the next command is read. `commands` is closed at the end."""
    slots = asyncio.Semaphore(STREAM_CONCURRENCY)
    place_slots = asyncio.Semaphore(STREAM_PLACES)
    results: asyncio.Queue[betting_pb2.BetResult | None] = asyncio.Queue()
    running: set[asyncio.Task[None]] = set()
    # Place commands in the bet queue by callback (`place_streamed`), not yet answered.
    queued = 0
    answered_all = asyncio.Event()
    answered_all.set()
    # A traced process gives each place command a task, so its span wraps its placement.
    by_callback = tracing.active() is None

    def spawn(work: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(work)
        running.add(task)
        task.add_done_callback(running.discard)

    async def run(command: betting_pb2.BetCommand, slot: asyncio.Semaphore) -> None:
        try:
            await results.put(await commands.result(command))
        finally:
            slot.release()

    def deliver(result: betting_pb2.BetResult) -> None:
        nonlocal queued
        results.put_nowait(result)
        place_slots.release()
        queued -= 1
        if queued == 0:
            answered_all.set()

    async def feed() -> None:
        nonlocal queued
        try:
            async for command in request_iterator:
                if command.WhichOneof("command") != "place":
                    await slots.acquire()
                    spawn(run(command, slots))
                    continue
                await place_slots.acquire()
                if by_callback:
                    queued += 1
                    answered_all.clear()
                    commands.place_streamed(command, deliver)
                else:
                    spawn(run(command, place_slots))
        finally:
            # Every command read has its result, even when the request stream broke (a
            # frame that does not parse): the client learns what happened to each before
            # the stream fails with the error (below).
            while running:
                await asyncio.gather(*list(running), return_exceptions=True)
            await answered_all.wait()
            results.put_nowait(None)

    feeder = asyncio.create_task(feed())
    try:
        while (result := await results.get()) is not None:
            yield result
        await feeder  # surfaces a failure of the request stream itself
    finally:
        feeder.cancel()
        for task in list(running):
            task.cancel()
        await commands.close()
