"""Cash a crash bet out: at the multiplier of PostgreSQL's clock when the cash-out is recorded,
and paid at once (the bet settles now, on the one road's settlement posting)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from application.crash.policy import CrashPoints
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from domain.bets import BetState
from domain.crash_rounds import CrashRound, RoundPhase, cash_out_at
from domain.errors import IllegalTransition, NotFound
from domain.events import BetSettled, CrashCashedOut
from domain.games.base import format_hundredths
from domain.games.crash import Crash


@dataclass(frozen=True, slots=True)
class CashOutCommand:
    player_id: int
    bet_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CashOutReceipt:
    receipt: BetReceipt
    round: CrashRound
    multiplier: int  # hundredths


class CashOutRoundBet(BetPoster):
    """Any instance may take a cash-out: the multiplier is the curve's at PostgreSQL's
    clock_timestamp() minus the round's start, and a cash-out at or after the crash time is
    refused. The round is held FOR SHARE, so it cannot be settled while a cash-out is written.
    Idempotent: a second cash-out of the same bet returns the first. A player's standing does
    not stop a cash-out: it stakes nothing, and settles a bet already placed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        points: CrashPoints | None = None,
    ) -> None:
        super().__init__(uow, clock, ids, house, risk=risk)
        self._points = points or CrashPoints()

    async def __call__(self, command: CashOutCommand) -> CashOutReceipt:
        async with self._uow() as uow:
            seat = await uow.crash.seat(command.bet_id, for_update=True)
            bet = None if seat is None else await uow.bets.find(command.bet_id)
            if seat is None or bet is None or seat.player_id != command.player_id:
                raise NotFound(f"you have no crash bet {command.bet_id}")
            round_ = await uow.crash.find(seat.round_id, share=True)
            assert round_ is not None
            if seat.cash_out is not None and bet.state is BetState.WON:
                receipt = BetReceipt(bet, await self._balance(uow, bet), replayed=True)
                return CashOutReceipt(receipt, round_, seat.cash_out.multiplier)
            if bet.state is not BetState.PLACED:
                raise IllegalTransition(f"this crash bet is already {bet.state}")
            if round_.phase is RoundPhase.BETTING:
                raise IllegalTransition("the round has not started; cash out once it runs")
            if round_.phase is RoundPhase.CRASHED:
                assert round_.crash_point is not None
                raise IllegalTransition(
                    f"the round crashed at {format_hundredths(round_.crash_point)}x"
                )
            assert round_.started_at is not None
            _, point = await self._points.of(uow, round_)
            elapsed = await uow.crash.elapsed_ms(round_.started_at)
            cash_out = cash_out_at(seat.selection, point, elapsed)
            await uow.crash.record_cash_out(seat.bet_id, cash_out)
            now = self._clock.now()
            settled = bet.settle(
                Crash(),
                cash_out.multiplier,
                at=now,
                transaction_id=self._ids.new_id(),
            )
            await self._post_settlement(uow, settled)
            await uow.bets.save(settled)
            uow.raise_events(
                CrashCashedOut(replace(seat, cash_out=cash_out), at=now),
                BetSettled(settled),
            )
            balance = await self._balance(uow, settled)
            await uow.commit()
        self._metrics.settled(settled)
        return CashOutReceipt(BetReceipt(settled, balance), round_, cash_out.multiplier)
