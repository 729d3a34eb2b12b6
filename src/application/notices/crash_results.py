"""Crash results for the bot: a bet placed from the bot keeps a waiting notice (written with
the bet, `PlaceRoundBet`); when its round's `crash.round_crashed` event comes (from the outbox,
through the event stream), `ReadyCrashResults` fills in each waiting notice of the round with
its bet's result and makes it due, and the sender delivers it (`application.notices.send`)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from application.notices.from_events import NotifyOfEvents
from application.ports import EventSource, UnitOfWorkFactory
from application.stopping import pause
from domain.bets import BetState
from domain.events import CrashRoundCrashed
from domain.notices import NoticeValue, crash_round_of, crash_round_subject

log = logging.getLogger(__name__)


class ReadyCrashResults:
    """Idempotent: a notice already made due is no longer waiting, so an event delivered
    again finds nothing to do."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, round_id: int) -> int:
        """How many notices were made due."""
        async with self._uow() as uow:
            waiting = await uow.notices.waiting(crash_round_subject(round_id))
            if not waiting:
                return 0
            round_ = await uow.crash.find(round_id)
            if round_ is None or round_.crash_point is None or round_.round_hash is None:
                return 0  # not crashed: the event of another database, or a forged one
            chain = await uow.crash.chain(round_.chain_id)
            assert chain is not None
            made = 0
            for notice in waiting:
                bet = await uow.bets.find(uuid.UUID(str(notice.data["bet_id"])))
                if bet is None or not bet.state.is_final:
                    continue  # pragma: no cover - a round crashes once its bets are settled
                data: dict[str, NoticeValue] = {
                    **notice.data,
                    "round": round_.number,
                    "crash_point": round_.crash_point,
                    "round_hash": round_.round_hash,
                    "salt": chain.salt,
                    "chain_end": chain.end_hash,
                    "state": bet.state.value,
                    "currency": bet.stake.currency.code,
                    "stake": bet.stake.amount,
                    "payout": bet.payout or 0,
                    # the cash-out's multiplier (hundredths) when the bet won
                    "cashed_out": bet.outcome if bet.state is BetState.WON else None,
                }
                await uow.notices.make_due(notice.id, data)
                made += 1
            await uow.commit()
        return made

    async def missed(self, limit: int = 100) -> int:
        """Ready the results of every crashed round whose notices still wait: for an event the
        stream lost (Redis holds what may be lost; the notices and the rounds are in
        PostgreSQL). A round still running has nothing to ready yet."""
        async with self._uow() as uow:
            subjects = await uow.notices.waiting_subjects(limit)
        made = 0
        for subject in subjects:
            round_id = crash_round_of(subject)
            if round_id is not None:
                made += await self(round_id)
        return made


class CrashResultListener:
    """Reads `crash.round_crashed` from the published events (a consumer group: one
    instance gets each event; unacknowledged ones come again) and readies the round's
    results; other events go to `notify` (the notifications of `from_events`), read in the
    same consumer group. At least once: an event is acknowledged only once its notices are
    kept or due. Every
    `sweep_every` seconds it also readies what the stream may have lost
    (`ReadyCrashResults.missed`), so a result is late, never lost, when Redis loses an
    event."""

    def __init__(
        self,
        events: EventSource,
        ready: ReadyCrashResults,
        notify: NotifyOfEvents | None = None,
        *,
        block_ms: int = 1000,
        backoff: float = 1.0,
        sweep_every: float = 30.0,
    ) -> None:
        self._events = events
        self._ready = ready
        self._notify = notify
        self._block_ms = block_ms
        self._backoff = backoff
        self._sweep_every = sweep_every

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()  # at start: what waited while no listener ran
        while not stop.is_set():
            try:
                if loop.time() >= next_sweep:
                    await self._ready.missed()
                    next_sweep = loop.time() + self._sweep_every
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("crash results: reading events failed; retrying", exc_info=True)
                await pause(stop, self._backoff)

    async def step(self) -> int:
        """One read: the notices made due."""
        received = await self._events.read(100, self._block_ms)
        made = 0
        for event in received:
            envelope = event.envelope
            if envelope.type == CrashRoundCrashed.name:
                round_id = envelope.data.get("round_id")
                if isinstance(round_id, int) and not isinstance(round_id, bool):
                    made += await self._ready(round_id)
            elif self._notify is not None:
                made += await self._notify(envelope)
        if received:
            await self._events.ack([e.receipt for e in received])
        return made
