"""The rounds as they go, for live doors (gRPC StreamRounds, the Mini App's WebSocket): one
poller per process reads the newest round and its cash-outs every tick while someone listens,
and hands each change to every listener. A listener too slow to keep up is cut off (it
reconnects and reads the round again), never buffered without end.

Polling is one small read a tick per process, whatever the number of listeners; clients draw
the multiplier themselves from `started_at` and the public curve, so no tick is sent."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from application.ports import UnitOfWork, UnitOfWorkFactory
from domain.crash_rounds import CrashChain, CrashRound, CrashSeat, RoundPhase

log = logging.getLogger(__name__)


class RoundEventKind(enum.StrEnum):
    BETTING_OPEN = "betting_open"
    STARTED = "started"
    CASHED_OUT = "cashed_out"
    CRASHED = "crashed"


_BY_PHASE = {
    RoundPhase.BETTING: RoundEventKind.BETTING_OPEN,
    RoundPhase.RUNNING: RoundEventKind.STARTED,
    RoundPhase.CRASHED: RoundEventKind.CRASHED,
}


@dataclass(frozen=True, slots=True)
class RoundEvent:
    kind: RoundEventKind
    round: CrashRound
    chain: CrashChain
    seat: CrashSeat | None = None  # CASHED_OUT: the seat, with its cash-out


class Disconnected(Exception):
    """The listener fell too far behind and was cut off."""


class RoundFeed:
    def __init__(self, uow: UnitOfWorkFactory, *, tick: float = 0.1, queue_size: int = 256):
        self._uow = uow
        self._tick = tick
        self._queue_size = queue_size
        self._listeners: set[asyncio.Queue[RoundEvent | None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._last: CrashRound | None = None
        self._chains: dict[int, CrashChain] = {}
        self._seen: set[uuid.UUID] = set()

    async def listen(self) -> AsyncIterator[RoundEvent]:
        """The newest round's state now, then each change; ends with `Disconnected` if the
        listener cannot keep up."""
        queue: asyncio.Queue[RoundEvent | None] = asyncio.Queue(self._queue_size)
        current = await self._snapshot()
        self._listeners.add(queue)
        if self._poller is None or self._poller.done():
            # The poller starts from what this listener was just shown, so nothing is lost or
            # told twice in between (a listener joining a running poller may see its first
            # change twice: a state, then the same as a change; clients go by the phase).
            self._last = None if current is None else current.round
            self._seen.clear()
            self._poller = asyncio.create_task(self._poll())
        try:
            if current is not None:
                yield current
            while True:
                event = await queue.get()
                if event is None:
                    raise Disconnected("too slow: events were dropped; listen again")
                yield event
        finally:
            self._listeners.discard(queue)

    async def _snapshot(self) -> RoundEvent | None:
        async with self._uow() as uow:
            latest = await uow.crash.latest()
            if latest is None:
                return None
            chain = await self._chain(uow, latest.chain_id)
        return RoundEvent(_BY_PHASE[latest.phase], latest, chain)

    async def _chain(self, uow: UnitOfWork, chain_id: int) -> CrashChain:
        found = self._chains.get(chain_id)
        if found is None:
            found = await uow.crash.chain(chain_id)
            assert found is not None  # a foreign key
            self._chains[chain_id] = found
        return found

    async def _poll(self) -> None:
        while self._listeners:
            try:
                for event in await self.changes():
                    self._hand_out(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("crash round feed could not read the round; retrying", exc_info=True)
            await asyncio.sleep(self._tick)

    def _hand_out(self, event: RoundEvent) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._listeners.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)

    async def changes(self) -> list[RoundEvent]:
        """What changed since the last look (public for tests and for one-off pollers)."""
        events: list[RoundEvent] = []
        async with self._uow() as uow:
            latest = await uow.crash.latest()
            if latest is None:
                return events
            last = self._last
            if last is not None and last.id != latest.id and last.phase is not RoundPhase.CRASHED:
                ended = await uow.crash.find(last.id)
                if ended is not None:
                    events += await self._round_changes(uow, last, ended)
            previous = last if last is not None and last.id == latest.id else None
            if previous is None:
                self._seen.clear()
            events += await self._round_changes(uow, previous, latest)
        self._last = latest
        return events

    async def _round_changes(
        self, uow: UnitOfWork, before: CrashRound | None, now: CrashRound
    ) -> list[RoundEvent]:
        chain = await self._chain(uow, now.chain_id)
        events: list[RoundEvent] = []
        phases = list(RoundPhase)
        start = phases.index(before.phase) + 1 if before is not None else phases.index(now.phase)
        for phase in phases[start : phases.index(now.phase) + 1]:
            if phase is RoundPhase.CRASHED:
                events += await self._cash_outs(uow, now, chain)
            events.append(RoundEvent(_BY_PHASE[phase], now, chain))
        if now.phase is RoundPhase.RUNNING:
            events += await self._cash_outs(uow, now, chain)
        return events

    async def _cash_outs(
        self, uow: UnitOfWork, round_: CrashRound, chain: CrashChain
    ) -> list[RoundEvent]:
        seats = await uow.crash.seats(round_.id)
        fresh = [s for s in seats if s.cash_out is not None and s.bet_id not in self._seen]
        self._seen.update(s.bet_id for s in fresh)
        fresh.sort(key=lambda s: s.cash_out.ms if s.cash_out else 0)
        return [RoundEvent(RoundEventKind.CASHED_OUT, round_, chain, s) for s in fresh]
