"""Place a bet on the crash round taking bets: the one road for a bet (`Placement._place_in`:
standing, responsible-gambling guard, limits, terms, caps, funds, idempotency, postings,
events), plus the bet's seat in the round, in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from application.betting.decision import PlaceBetCommand
from application.betting.place import LostRace, Placement
from application.betting.receipts import NO_BET_METRICS, BetReceipt
from application.crash.policy import CrashPolicy
from application.house import HouseBook
from application.ports import (
    BetMetrics,
    Clock,
    IdGenerator,
    SeedSource,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.accounts import AccountKind
from domain.crash_rounds import (
    CrashRound,
    CrashSeat,
    RoundExposure,
    RoundPhase,
    require_free_seat,
)
from domain.errors import IdempotencyConflict, IllegalTransition
from domain.games.crash import Crash
from domain.money import Money
from domain.notices import CRASH_RESULT, NewNotice, crash_result_key, crash_round_subject


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
    bankroll, or the bet is refused. Idempotent on the bet id like every bet."""

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

    async def __call__(self, command: PlaceRoundBetCommand) -> RoundBetReceipt:
        bet_command = command.bet_command()
        return await self._counted(
            bet_command,
            lambda: self._locked(
                bet_command,
                lambda uow: self._place_in_round(uow, command, bet_command),
                lambda placed: placed.receipt.replayed,
            ),
            lambda placed: placed.receipt,
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
            await uow.notices.add(
                NewNotice(
                    crash_result_key(bet.id),
                    bet.player_id,
                    CRASH_RESULT,
                    crash_round_subject(round_.id),
                    {"bet_id": str(bet.id)},
                )
            )
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
    async def _betting_round(uow: UnitOfWork, now: datetime) -> CrashRound:
        latest = await uow.crash.latest()
        if latest is not None and latest.phase is RoundPhase.BETTING:
            latest = await uow.crash.find(latest.id, share=True)  # see the class docstring
        if latest is None or latest.phase is not RoundPhase.BETTING:
            raise IllegalTransition(
                "no crash round is taking bets right now; the next one opens in a few seconds"
            )
        latest.require_betting(now)
        return latest
