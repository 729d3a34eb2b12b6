"""Place a bet on the crash round taking bets: the one road for a bet (standing,
responsible-gambling guard, limits, terms, caps, funds, idempotency, postings, events), plus
the bet's seat in the round, in the same transaction.

Bets that arrive together are placed together, as `BetQueue` places other bets: on the
snapshot road (`Placement._decide_on_snapshot`) with the round's rules added bet by bet
(`application.crash.seating`), written by one statement (`place_round_bets`, revision 0030)
that checks the round still takes bets by PostgreSQL's clock, the seats are free and the
exposure within its limit. What that road does not decide (a replay, a player with a
responsible-gambling record, an unknown wallet, no round taking bets, a batch that kept
meeting a changed state) takes the locked road one by one, as before."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from application.betting.decision import PlaceBetCommand
from application.betting.place import LostRace, Placement
from application.betting.receipts import NO_BET_METRICS, BetReceipt
from application.crash.batching import GroupCommit
from application.crash.policy import CrashPolicy
from application.crash.seating import BatchSeats
from application.house import HouseBook
from application.ports import (
    BetMetrics,
    Clock,
    IdGenerator,
    LockContended,
    SeedSource,
    SnapshotStale,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.bets import Bet
from domain.crash_rounds import (
    CrashRefusal,
    CrashRound,
    CrashSeat,
    RoundExposure,
    RoundPhase,
    require_free_seat,
)
from domain.errors import DomainError, IdempotencyConflict, StorageUnavailable
from domain.games.crash import Crash
from domain.money import Money
from domain.notices import CRASH_RESULT, NewNotice, crash_result_key, crash_round_subject

log = logging.getLogger(__name__)

# How often a batch is decided on a fresh read after its write met a changed state (a seat
# taken, the exposure grown, a balance) before its bets go one by one.
_SNAPSHOT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PlaceRoundBetCommand:
    player_id: int
    bet_id: uuid.UUID  # chosen by the client: a repeat places nothing new
    stake: Money
    # {"target": "2.00"} for an automatic cash-out at 2x; {} to cash out by hand
    params: dict[str, str] = field(default_factory=dict)
    # The bot sends the player the result after the round (a notice kept with the bet).
    notify: bool = False

    def bet_command(self) -> PlaceBetCommand:
        return PlaceBetCommand(
            player_id=self.player_id,
            bet_id=self.bet_id,
            game=Crash.code,
            stake=self.stake,
            params=self.params,
            round_bet=True,
        )


@dataclass(frozen=True, slots=True)
class RoundBetReceipt:
    receipt: BetReceipt
    round: CrashRound
    seat: CrashSeat


class PlaceRoundBet(Placement):
    """A crash bet on the round taking bets. The round is held FOR SHARE until the bet commits,
    so the driver cannot start it meanwhile (it waits); one bet per player, round and currency;
    the round's exposure (every bet at its target or the cap) stays within its share of the
    bankroll, or the bet is refused. Idempotent on the bet id like every bet.

    Calls that arrive together are placed together (`application.crash.batching`: up to
    `batch_size` bets a batch, `batches` batches at once)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        seeds: SeedSource,
        *,
        guard: ResponsibleGamblingGuard = ALWAYS_GUARDED,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        metrics: BetMetrics = NO_BET_METRICS,
        policy: CrashPolicy | None = None,
        batch_size: int = 64,
        batches: int = 1,
    ) -> None:
        super().__init__(
            uow,
            clock,
            ids,
            house,
            seeds,
            guard=guard,
            velocity=velocity,
            risk=risk,
            metrics=metrics,
        )
        self._policy = policy or CrashPolicy()
        self._group = GroupCommit(self._place_batch, batch_size=batch_size, batches=batches)

    async def __call__(self, command: PlaceRoundBetCommand) -> RoundBetReceipt:
        bet_command = command.bet_command()
        try:
            await self._admit(bet_command)
        except DomainError as error:
            self._count(bet_command, error)
            raise
        return await self._group(command)

    async def _place_batch(
        self, commands: list[PlaceRoundBetCommand]
    ) -> list[RoundBetReceipt | DomainError]:
        """Each bet's receipt or refusal: together on the snapshot road, and what that road
        left (or all of them, if the batch failed as a whole) one by one on the locked road."""
        outcomes: dict[int, RoundBetReceipt | DomainError] = {}
        alone = list(range(len(commands)))
        try:
            decided, alone = await self._together(commands)
        except (LockContended, StorageUnavailable, LostRace) as error:
            log.info("a batch of %d crash bets goes one by one (%r)", len(commands), error)
        except Exception:  # each bet's own errors were decided inside: this is the batch's
            log.warning(
                "a batch of %d crash bets failed as a whole; one by one",
                len(commands),
                exc_info=True,
            )
        else:
            outcomes.update(decided)

        async def place(i: int) -> None:
            try:
                outcomes[i] = await self._place_locked(commands[i])
            except DomainError as error:
                outcomes[i] = error

        await asyncio.gather(*(place(i) for i in alone))
        done = [outcomes[i] for i in range(len(commands))]
        # Counted once the batch is over, each bet as it finally stood.
        for command, outcome in zip(commands, done, strict=True):
            self._count(
                command.bet_command(),
                outcome.receipt if isinstance(outcome, RoundBetReceipt) else outcome,
            )
        return done

    async def _together(
        self, commands: list[PlaceRoundBetCommand]
    ) -> tuple[dict[int, RoundBetReceipt | DomainError], list[int]]:
        """The batch on the snapshot road: the outcomes it decided and the bets it left to
        the locked road. A write that met a changed state reads again, `_SNAPSHOT_ATTEMPTS`
        times in all; then `LostRace`."""
        bet_commands = [command.bet_command() for command in commands]
        order = sorted(
            range(len(commands)), key=lambda i: (commands[i].player_id, commands[i].bet_id)
        )
        for attempt in range(1, _SNAPSHOT_ATTEMPTS + 1):
            try:
                async with self._uow() as uow:
                    read = await uow.crash.seating([c.player_id for c in commands])
                    if read.round is None or not read.taking_bets:
                        return {}, order  # the locked road refuses each (or replays it)
                    seats = BatchSeats(read.round, read, self._policy.bankroll_share)
                    decided, alone = await self._decide_on_snapshot(uow, bet_commands, order, seats)
                    for i, outcome in decided.items():
                        if commands[i].notify and isinstance(outcome, BetReceipt):
                            # in this transaction, before the bets' write: both or neither
                            await self._notice(uow, outcome.bet, seats.round.id)
                    if decided:
                        await uow.commit()
            except SnapshotStale as error:
                log.info(
                    "a batch of %d crash bets was decided on a state that changed (%s); %s",
                    len(commands),
                    error,
                    "reading again" if attempt < _SNAPSHOT_ATTEMPTS else "one by one",
                )
                continue
            return {
                i: RoundBetReceipt(outcome, seats.round, seats.seated[outcome.bet.id])
                if isinstance(outcome, BetReceipt)
                else outcome
                for i, outcome in decided.items()
            }, alone
        raise LostRace

    async def _place_locked(self, command: PlaceRoundBetCommand) -> RoundBetReceipt:
        """One bet on the locked road, in a transaction of its own."""
        bet_command = command.bet_command()
        return await self._locked(
            bet_command,
            lambda uow: self._place_in_round(uow, command, bet_command),
            lambda placed: placed.receipt.replayed,
        )

    async def _place_in_round(
        self, uow: UnitOfWork, command: PlaceRoundBetCommand, bet_command: PlaceBetCommand
    ) -> RoundBetReceipt:
        seat = await uow.crash.seat(command.bet_id)
        if seat is not None:  # a repeat: the bet and its seat were committed together
            round_ = await uow.crash.find(seat.round_id)
            receipt = await self._place_in(uow, bet_command)  # the replay's checks and receipt
            assert round_ is not None
            return RoundBetReceipt(receipt, round_, seat)
        round_ = await self._betting_round(uow, self._clock.now())
        currency = command.stake.currency.code
        # The one road first, so its refusals (standing, limits, funds) come before the
        # round's; a refusal after it rolls its writes back with the rest.
        receipt = await self._place_in(uow, bet_command)
        if receipt.replayed:  # this id is a bet of another game, or of no round
            raise IdempotencyConflict(f"bet {command.bet_id} exists and is no crash round bet")
        require_free_seat(
            await uow.crash.seats(round_.id, player_id=command.player_id),
            command.player_id,
            currency,
        )
        bet = receipt.bet
        seat = CrashSeat(
            bet_id=bet.id,
            round_id=round_.id,
            player_id=bet.player_id,
            currency=currency,
            target=bet.selection.value,
            exposure=bet.max_net_loss_to_house,
        )
        if not await uow.crash.add_seat(seat):  # pragma: no cover - the bet id was new
            raise LostRace
        if command.notify:
            await self._notice(uow, bet, round_.id)
        # Last, so the lock on the round's exposure in this currency is held for one statement
        # and the commit: the sum includes every seat committed before it and this one.
        owed = await uow.crash.exposure(round_.id, currency)
        bankroll = await uow.accounts.house_balance(
            AccountKind.HOUSE_BANKROLL, command.stake.currency
        )
        RoundExposure(owed - seat.exposure, bankroll, self._policy.bankroll_share).admit(
            command.stake, bet.max_payout
        )
        return RoundBetReceipt(receipt, round_, seat)

    @staticmethod
    async def _notice(uow: UnitOfWork, bet: Bet, round_id: int) -> None:
        """The bot's result message for `bet`, waiting for its round to crash."""
        await uow.notices.add(
            NewNotice(
                crash_result_key(bet.id),
                bet.player_id,
                CRASH_RESULT,
                crash_round_subject(round_id),
                {"bet_id": str(bet.id)},
            )
        )

    @staticmethod
    async def _betting_round(uow: UnitOfWork, now: datetime) -> CrashRound:
        latest = await uow.crash.latest()
        if latest is not None and latest.phase is RoundPhase.BETTING:
            latest = await uow.crash.find(latest.id, share=True)  # see the class docstring
        if latest is None or latest.phase is not RoundPhase.BETTING:
            raise CrashRefusal(
                "not_taking_bets",
                "no crash round is taking bets right now; the next one opens in a few seconds",
            )
        latest.require_betting(now)
        return latest
