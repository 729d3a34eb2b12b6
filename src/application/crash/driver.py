"""The crash round driver: exactly one instance runs rounds, holding the leader lock (like the
outbox relay's); another takes over when it dies, and finishes what it left.

Each `step` reads the unfinished rounds and moves the oldest on: a betting round whose betting
time is over starts (PostgreSQL's clock; the start waits for bets being placed on it); a running
round whose crash time has passed (by PostgreSQL's clock) is settled; with none unfinished the
next round opens. Everything it needs is in the database, so a new leader picks up from there.
A running round this driver did not start, or that it settles later than the grace after its
crash time, is settled as interrupted (domain/crash_rounds.py).

Between steps it sleeps until its next move's known time (the betting end, the crash time),
but never longer than the policy's `watch` (1 s): each step begins by asking the lock's
connection, and reads the rounds, so a lost lock or a round changed by someone else is noticed
within `watch` of happening, and a crash is settled as soon as its time comes rather than up to
a polling tick late. (It polled every 100 ms before: a transaction and two statements a tick,
paid whatever the bets; bench/README.md, issue 19.)"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from application.crash.policy import CrashPoints, CrashPolicy
from application.crash.settle import SettleCrashedRound
from application.ports import Clock, LeaderLock, UnitOfWorkFactory
from application.stopping import pause
from domain.crash_rounds import CrashRound, RoundPhase, crash_time_ms
from domain.events import CrashRoundOpened, CrashRoundStarted

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DriverStats:
    """What this driver did, for tests, metrics and the benchmark."""

    opened: int = 0
    started: int = 0
    crashed: int = 0
    interrupted: int = 0
    # How late each crash was settled after its time (ms): the round loop's lag.
    lags_ms: list[int] = field(default_factory=list)


class CrashDriver:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        lock: LeaderLock,
        settle: SettleCrashedRound,
        policy: CrashPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._lock = lock
        self._settle = settle
        self._policy = policy or CrashPolicy()
        self._points = CrashPoints()
        self._started_here: set[int] = set()
        self.stats = DriverStats()
        self.leading = False
        self._told_no_chain = False

    async def run(self, stop: asyncio.Event) -> None:
        """Drive rounds while holding the lock, until `stop`; wait for the lock otherwise."""
        policy = self._policy
        waiting = False
        while not stop.is_set():
            try:
                async with self._lock.claim() as held:
                    if not held:
                        if not waiting:
                            log.info("another instance drives crash rounds; waiting")
                            waiting = True
                        await pause(stop, policy.lock_poll)
                        continue
                    log.info("driving crash rounds")
                    waiting = False
                    self.leading = True
                    self._started_here.clear()  # a new leadership sees through only its own
                    try:
                        while not stop.is_set() and await self._lock.still_held():
                            await pause(stop, await self.step())
                    finally:
                        self.leading = False
                if not stop.is_set():
                    log.warning("crash driver lost its lock; another instance may drive now")
                    await pause(stop, policy.lock_poll)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("crash driver failed; retrying", exc_info=True)
                await pause(stop, policy.lock_poll)

    async def step(self) -> float:
        """Move the rounds on once; the seconds until there is something to do again."""
        policy = self._policy
        async with self._uow() as uow:
            unfinished = list(await uow.crash.unfinished())
        for round_ in unfinished:
            if round_.phase is RoundPhase.BETTING:
                left = (round_.betting_ends_at - self._clock.now()).total_seconds()
                if left > 0:
                    return min(left, policy.watch)
                await self._start(round_)
                return 0.0
            wait = await self._run_or_crash(round_)
            if wait is not None:
                return wait
        return await self._open()

    async def _open(self) -> float:
        async with self._uow() as uow:
            chain = await uow.crash.active_chain()
            if chain is None or chain.salt is None:
                if not self._told_no_chain:
                    log.warning(
                        "no crash chain ready: `croupier crash chain new`, then `... chain salt`"
                    )
                    self._told_no_chain = True
                return self._policy.lock_poll
            self._told_no_chain = False
            ends = self._clock.now() + timedelta(seconds=self._policy.betting_seconds)
            opened = await uow.crash.open_round(chain.id, ends)
            uow.raise_events(CrashRoundOpened(opened))
            await uow.commit()
        self.stats.opened += 1
        return min(self._policy.betting_seconds, self._policy.watch)

    async def _start(self, round_: CrashRound) -> None:
        async with self._uow() as uow:
            started, _ = await uow.crash.start_round(round_.id)
            uow.raise_events(CrashRoundStarted(started))
            await uow.commit()
        self._started_here.add(started.id)
        self.stats.started += 1

    async def _run_or_crash(self, round_: CrashRound) -> float | None:
        """None: the round was settled now (look at the next); else the wait until its crash."""
        assert round_.started_at is not None
        async with self._uow() as uow:
            round_hash, point = await self._points.of(uow, round_)
            elapsed = await uow.crash.elapsed_ms(round_.started_at)
        late = elapsed - crash_time_ms(point)
        if late < 0:
            return min(-late / 1000, self._policy.watch)
        interrupted = (
            round_.id not in self._started_here or late > self._policy.recovery_grace * 1000
        )
        await self._settle(round_, round_hash, point, interrupted=interrupted)
        self._started_here.discard(round_.id)
        self.stats.crashed += 1
        self.stats.interrupted += interrupted
        self.stats.lags_ms.append(late)
        return None
