"""Tests share one database, and crash rounds are global (the newest round takes the bets, the
driver moves the oldest unfinished one first): a test that drives rounds first finishes any
round another test left open, at once, as a recovery would (started if it was taking bets, its
real hash from the database's function, its crash point from the chain's salt, its bets
refunded or paid their target), so the books stay reconcilable."""

from __future__ import annotations

from application.crash import SettleCrashedRound
from application.ports import UnitOfWorkFactory
from domain.crash_rounds import RoundPhase
from domain.events import CrashRoundStarted


async def finish_every_round(uow: UnitOfWorkFactory, settle: SettleCrashedRound) -> int:
    async with uow() as work:
        unfinished = list(await work.crash.unfinished())
    for round_ in unfinished:
        async with uow() as work:
            started, round_hash = await work.crash.start_round(round_.id)
            if round_.phase is RoundPhase.BETTING:  # as the driver's start, with its event
                work.raise_events(CrashRoundStarted(started))
            chain = await work.crash.chain(round_.chain_id)
            await work.commit()
        assert chain is not None
        await settle(started, round_hash, chain.crash_point(round_hash), interrupted=True)
    return len(unfinished)
