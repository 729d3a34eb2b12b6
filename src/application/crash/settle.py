"""Settle a crashed round: every bet still riding cashes out at its target when the crash
point reached it, or loses (or, the round interrupted, is refunded); then the round records
its crash and reveals its hash. Chunked, and safe to repeat: a settled bet is skipped."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.betting.poster import BetPoster
from application.ports import UnitOfWork
from domain.bets import Bet, BetState
from domain.crash_rounds import CrashRound, CrashSeat, RoundPhase, crash_time_ms, outcome_of
from domain.events import BetSettled, BetVoided, CrashRoundCrashed
from domain.games.crash import Crash

# Bets settled per transaction: a round of thousands of bets commits in steps.
SETTLE_CHUNK = 200
INTERRUPTED_REASON = "crash round interrupted; stake refunded (docs/games.md, Crash)"


class SettleCrashedRound(BetPoster):
    async def __call__(
        self, round_: CrashRound, round_hash: str, point: int, *, interrupted: bool
    ) -> CrashRound:
        assert round_.started_at is not None
        async with self._uow() as uow:
            seats = await uow.crash.seats(round_.id)
        for start in range(0, len(seats), SETTLE_CHUNK):
            async with self._uow() as uow:
                for seat in seats[start : start + SETTLE_CHUNK]:
                    await self._settle_seat(uow, seat, point, interrupted=interrupted)
                await uow.commit()
        crashed = CrashRound(
            number=round_.number,
            chain_id=round_.chain_id,
            phase=RoundPhase.CRASHED,
            betting_ends_at=round_.betting_ends_at,
            started_at=round_.started_at,
            crashed_at=crashed_at(round_.started_at, point),
            crash_point=point,
            round_hash=round_hash,
            id=round_.id,
            interrupted=interrupted,
        )
        async with self._uow() as uow:
            await uow.crash.finish(crashed, interrupted=interrupted)
            uow.raise_events(CrashRoundCrashed(crashed))
            await uow.commit()
        return crashed

    async def _settle_seat(
        self, uow: UnitOfWork, seat: CrashSeat, point: int, *, interrupted: bool
    ) -> None:
        bet = await uow.bets.find(seat.bet_id, for_update=True)
        if bet is None or bet.state is not BetState.PLACED:
            return  # cashed out and paid already, or a seat whose bet never committed
        cashed = None if seat.cash_out is None else seat.cash_out.multiplier
        outcome = outcome_of(seat.selection, point, cashed, interrupted=interrupted)
        now, transaction = self._clock.now(), self._ids.new_id()
        ended: Bet
        if outcome is None:
            ended = bet.void(INTERRUPTED_REASON, at=now, transaction_id=transaction)
            event: BetSettled | BetVoided = BetVoided(ended)
        else:
            ended = bet.settle(Crash(), outcome, at=now, transaction_id=transaction)
            event = BetSettled(ended)
        await self._post_settlement(uow, ended)
        await uow.bets.save(ended)
        uow.raise_events(event)
        self._metrics.settled(ended)


def crashed_at(started_at: datetime, point: int) -> datetime:
    return started_at + timedelta(milliseconds=crash_time_ms(point))
