"""Cash a crash bet out: at the multiplier of PostgreSQL's clock when the cash-out is recorded,
and paid at once (the bet settles now, on the one road's settlement posting).

Cash-outs that arrive together are written together (`application.crash.batching`): one
transaction, the seats locked by one statement, one reading of PostgreSQL's clock per round
(the authority: every cash-out of the batch is at the multiplier of that moment), the
cash-outs recorded by one statement and the settlements posted by one call."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from application.betting.poster import BetPoster
from application.betting.receipts import BetReceipt
from application.crash.batching import GroupCommit
from application.crash.policy import CrashPoints
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from domain.bets import Bet, BetState
from domain.crash_rounds import (
    CashOut,
    CrashRefusal,
    CrashRound,
    CrashSeat,
    RoundPhase,
    cash_out_at,
)
from domain.errors import DomainError, NotFound
from domain.events import BetSettled, CrashCashedOut, transactions_posted
from domain.games.base import format_hundredths
from domain.games.crash import Crash
from domain.money import Money

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CashOutCommand:
    player_id: int
    bet_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CashOutReceipt:
    receipt: BetReceipt
    round: CrashRound
    multiplier: int  # hundredths


_Outcome = CashOutReceipt | DomainError


class CashOutRoundBet(BetPoster):
    """Any instance may take a cash-out: the multiplier is the curve's at PostgreSQL's
    clock_timestamp() minus the round's start, and a cash-out at or after the crash time is
    refused. The round is held FOR SHARE, so it cannot be settled while a cash-out is written.
    Idempotent: a second cash-out of the same bet returns the first (the seat's lock orders
    them: exactly one pays). A player's standing does not stop a cash-out: it stakes nothing,
    and settles a bet already placed."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        points: CrashPoints | None = None,
        batch_size: int = 64,
        batches: int = 1,
    ) -> None:
        super().__init__(uow, clock, ids, house, risk=risk)
        self._points = points or CrashPoints()
        self._group = GroupCommit(self._batch, batch_size=batch_size, batches=batches)

    async def __call__(self, command: CashOutCommand) -> CashOutReceipt:
        return await self._group(command)

    async def _batch(self, commands: list[CashOutCommand]) -> list[_Outcome]:
        """Each cash-out's receipt or refusal. A bet asked twice in one batch is written once;
        its repeat comes after, and is a replay. A batch that fails as a whole (a lost race
        with the round's settlement, a lost connection) goes one by one, each cash-out then
        answering for itself."""
        outcomes: dict[int, _Outcome] = {}
        pending = list(range(len(commands)))
        while pending:
            first: dict[uuid.UUID, int] = {}
            for i in pending:
                first.setdefault(commands[i].bet_id, i)
            now = sorted(first.values())
            pending = [i for i in pending if i not in set(now)]
            try:
                outcomes.update(await self._together(commands, now))
            except Exception:
                if len(now) == 1:
                    raise
                log.info("a batch of %d crash cash-outs goes one by one", len(now), exc_info=True)
                for i in now:
                    try:
                        outcomes.update(await self._together(commands, [i]))
                    except DomainError as error:
                        outcomes[i] = error
        return [outcomes[i] for i in range(len(commands))]

    async def _together(
        self, commands: Sequence[CashOutCommand], order: Sequence[int]
    ) -> dict[int, _Outcome]:
        """The cash-outs `order` picks (distinct bet ids) in one unit of work."""
        bet_ids = [commands[i].bet_id for i in order]
        async with self._uow() as uow:
            seats = {s.bet_id: s for s in await uow.crash.seats_for_cash_out(bet_ids)}
            bets = await uow.bets.find_many(list(seats))
            rounds: dict[int, CrashRound] = {}
            for round_id in sorted({seat.round_id for seat in seats.values()}):
                round_ = await uow.crash.find(round_id, share=True)
                assert round_ is not None
                rounds[round_id] = round_
            clock = await self._clock_of(uow, rounds.values())
            outcomes: dict[int, _Outcome] = {}
            settle: list[tuple[int, Bet, CashOut, CrashRound, CrashSeat]] = []
            replays: list[tuple[int, Bet, CrashSeat]] = []
            for i in order:
                command = commands[i]
                seat, bet = seats.get(command.bet_id), bets.get(command.bet_id)
                if seat is None or bet is None or seat.player_id != command.player_id:
                    outcomes[i] = NotFound(f"you have no crash bet {command.bet_id}")
                    continue
                if seat.cash_out is not None and bet.state is BetState.WON:
                    replays.append((i, bet, seat))
                    continue
                try:
                    cash_out = _cash_out(bet, seat, rounds[seat.round_id], clock)
                except DomainError as error:
                    outcomes[i] = error
                    continue
                settled = bet.settle(
                    Crash(),
                    cash_out.multiplier,
                    at=self._clock.now(),
                    transaction_id=self._ids.new_id(),
                )
                settle.append((i, settled, cash_out, rounds[seat.round_id], seat))
            if settle:
                outcomes.update(await self._write(uow, settle))
            for i, bet, seat in replays:
                receipt = BetReceipt(bet, await self._balance(uow, bet), replayed=True)
                assert seat.cash_out is not None
                outcomes[i] = CashOutReceipt(
                    receipt, rounds[seat.round_id], seat.cash_out.multiplier
                )
            if settle:
                await uow.commit()
        for _, settled, *_ in settle:
            self._metrics.settled(settled)
        return outcomes

    async def _clock_of(
        self, uow: UnitOfWork, rounds: Iterable[CrashRound]
    ) -> dict[int, tuple[int, int]]:
        """For each running round: its crash point and the milliseconds since its start by
        PostgreSQL's clock, read once for the batch."""
        clock: dict[int, tuple[int, int]] = {}
        for round_ in rounds:
            if round_.phase is RoundPhase.RUNNING:
                assert round_.started_at is not None
                _, point = await self._points.of(uow, round_)
                clock[round_.id] = (point, await uow.crash.elapsed_ms(round_.started_at))
        return clock

    async def _write(
        self,
        uow: UnitOfWork,
        settle: Sequence[tuple[int, Bet, CashOut, CrashRound, CrashSeat]],
    ) -> dict[int, _Outcome]:
        """Record the cash-outs, post their settlements in one call, settle the bets."""
        await uow.crash.record_cash_outs({bet.id: cash_out for _, bet, cash_out, *_ in settle})
        wallet_of: dict[tuple[int, str], int] = {}
        for currency in {
            bet.stake.currency.code: bet.stake.currency for _, bet, *_ in settle
        }.values():
            players = [bet.player_id for _, bet, *_ in settle if bet.stake.currency == currency]
            ids = await uow.accounts.wallet_ids(players, currency)
            wallet_of.update({(player, currency.code): i for player, i in ids.items()})
        wallets = [wallet_of[bet.player_id, bet.stake.currency.code] for _, bet, *_ in settle]
        transactions = [
            await self._settlement(uow, bet, wallet)
            for (_, bet, *_), wallet in zip(settle, wallets, strict=True)
        ]
        posted = await uow.ledger.post_all(transactions)
        uow.raise_events(*transactions_posted(*posted))
        await uow.bets.save_many([bet for _, bet, *_ in settle])
        outcomes: dict[int, _Outcome] = {}
        for (i, bet, cash_out, round_, seat), wallet, done in zip(
            settle, wallets, posted, strict=True
        ):
            # Large wins and wagers are flagged and audited in the settlement's transaction.
            await self._risk.on_bet_settled(uow, bet)
            assert bet.settled_at is not None
            uow.raise_events(
                CrashCashedOut(replace(seat, cash_out=cash_out), at=bet.settled_at),
                BetSettled(bet),
            )
            balance = Money(done.leg_for(wallet).balance_after, bet.stake.currency)
            outcomes[i] = CashOutReceipt(BetReceipt(bet, balance), round_, cash_out.multiplier)
        return outcomes


def _cash_out(
    bet: Bet, seat: CrashSeat, round_: CrashRound, clock: Mapping[int, tuple[int, int]]
) -> CashOut:
    if bet.state is not BetState.PLACED:
        raise CrashRefusal("bet_over", f"this crash bet is already {bet.state}")
    if round_.phase is RoundPhase.BETTING:
        raise CrashRefusal("not_started", "the round has not started; cash out once it runs")
    if round_.phase is RoundPhase.CRASHED:
        assert round_.crash_point is not None
        raise CrashRefusal(
            "crashed",
            f"the round crashed at {format_hundredths(round_.crash_point)}x",
            crash_point=round_.crash_point,
        )
    point, elapsed = clock[round_.id]
    return cash_out_at(seat.selection, point, elapsed)
