"""What happened: the events a use case raises with the change that caused them.

A use case hands these to its unit of work (`uow.raise_events(...)`); the unit of work writes
them to the outbox in the same transaction as the change, so an event exists exactly when its
change does, and the relay publishes them afterwards. Each event holds the aggregate as it is
after the step (immutable values), and `name` is the type consumers see. How an event looks on
the wire (its versioned payload, its envelope) is the publishing edge's business:
`adapters.events`, documented in docs/events.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.bets import Bet, BetState
from domain.bonuses import Bonus, BonusState
from domain.crash_rounds import CrashRound, CrashSeat
from domain.ledger import PostedTransaction
from domain.risk import RiskFlag
from domain.withdrawals import Withdrawal, WithdrawalState


@dataclass(frozen=True, slots=True)
class TransactionPosted:
    """A journal entry moved money (a replay moves none and raises nothing). Its legs say whose
    accounts it touched and their balances after it."""

    name: ClassVar[str] = "ledger.transaction_posted"
    transaction: PostedTransaction


@dataclass(frozen=True, slots=True)
class BetPlaced:
    """A bet was accepted and its stake taken. A bet decided at once (provably fair, dice) is
    stored already final: its use case raises this and then `BetSettled`."""

    name: ClassVar[str] = "bet.placed"
    bet: Bet


@dataclass(frozen=True, slots=True)
class BetSettled:
    """A bet was won or lost; `bet` holds the outcome and the payout."""

    name: ClassVar[str] = "bet.settled"
    bet: Bet


@dataclass(frozen=True, slots=True)
class BetPlayed:
    """A bet placed and settled at once in one ledger transaction (`Bet.posted_at_once`: the
    snapshot road's net posting). One event stands for its `BetPlaced`, its `BetSettled` and
    that transaction's `TransactionPosted`, which it replaces: one envelope a bet instead of
    three (issue 19). `transaction` is the posting as it touched the player (the wallet's leg
    and balance after it)."""

    name: ClassVar[str] = "bet.played"
    bet: Bet
    transaction: PostedTransaction


@dataclass(frozen=True, slots=True)
class BetVoided:
    """A bet was called off and its stake returned."""

    name: ClassVar[str] = "bet.voided"
    bet: Bet


@dataclass(frozen=True, slots=True)
class WithdrawalRequested:
    name: ClassVar[str] = "withdrawal.requested"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalApproved:
    name: ClassVar[str] = "withdrawal.approved"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalRejected:
    name: ClassVar[str] = "withdrawal.rejected"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalPaid:
    name: ClassVar[str] = "withdrawal.paid"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalFailed:
    name: ClassVar[str] = "withdrawal.failed"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalCancelled:
    """The player took back a request before it was approved; its money is back."""

    name: ClassVar[str] = "withdrawal.cancelled"
    withdrawal: Withdrawal


@dataclass(frozen=True, slots=True)
class WithdrawalPayoutDelayed:
    """The payout gateway could not pay an approved withdrawal yet (certainly nothing sent:
    too little at the provider, a refusal, the provider down); raised once a withdrawal (its
    `payout_delayed_at`), so that the player is told once. Not a step: it stays approved."""

    name: ClassVar[str] = "withdrawal.payout_delayed"
    withdrawal: Withdrawal


WithdrawalEvent = (
    WithdrawalRequested
    | WithdrawalApproved
    | WithdrawalRejected
    | WithdrawalPaid
    | WithdrawalFailed
    | WithdrawalCancelled
)

# The event of the step that brought a withdrawal to each state.
WITHDRAWAL_EVENTS: dict[WithdrawalState, type[WithdrawalEvent]] = {
    WithdrawalState.REQUESTED: WithdrawalRequested,
    WithdrawalState.APPROVED: WithdrawalApproved,
    WithdrawalState.REJECTED: WithdrawalRejected,
    WithdrawalState.PAID: WithdrawalPaid,
    WithdrawalState.FAILED: WithdrawalFailed,
    WithdrawalState.CANCELLED: WithdrawalCancelled,
}


@dataclass(frozen=True, slots=True)
class RiskFlagRaised:
    """A risk rule fired; `flag` carries its stored id."""

    name: ClassVar[str] = "risk.flag_raised"
    flag: RiskFlag


@dataclass(frozen=True, slots=True)
class PlayerBlocked:
    """Staff blocked a player. Their open live sockets close on it."""

    name: ClassVar[str] = "player.blocked"
    player_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlayerUnblocked:
    name: ClassVar[str] = "player.unblocked"
    player_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class CrashRoundOpened:
    """A crash round takes bets until `round.betting_ends_at`."""

    name: ClassVar[str] = "crash.round_opened"
    round: CrashRound


@dataclass(frozen=True, slots=True)
class CrashRoundStarted:
    """The round's multiplier climbs from `round.started_at` (PostgreSQL's clock); its hash
    stays secret until it crashes."""

    name: ClassVar[str] = "crash.round_started"
    round: CrashRound


@dataclass(frozen=True, slots=True)
class CrashCashedOut:
    """A bet left the round at `seat.cash_out` (its settlement is the bet's `bet.settled`)."""

    name: ClassVar[str] = "crash.cashed_out"
    seat: CrashSeat
    at: datetime


@dataclass(frozen=True, slots=True)
class CrashRoundCrashed:
    """The round crashed and its bets are settled: `round` holds the crash point and the
    revealed hash (and whether it was settled as interrupted)."""

    name: ClassVar[str] = "crash.round_crashed"
    round: CrashRound


CrashEvent = CrashRoundOpened | CrashRoundStarted | CrashCashedOut | CrashRoundCrashed


@dataclass(frozen=True, slots=True)
class BonusGranted:
    """A bonus went into the player's bonus account (docs/bonuses.md)."""

    name: ClassVar[str] = "bonus.granted"
    bonus: Bonus


@dataclass(frozen=True, slots=True)
class BonusConverted:
    """Its wagering was met: the whole bonus became cash."""

    name: ClassVar[str] = "bonus.converted"
    bonus: Bonus


@dataclass(frozen=True, slots=True)
class BonusForfeited:
    """The player gave it up (or withdrew): it went back to the promotions account."""

    name: ClassVar[str] = "bonus.forfeited"
    bonus: Bonus


@dataclass(frozen=True, slots=True)
class BonusExpired:
    """Its time ran out before its wagering was met: back to the promotions account."""

    name: ClassVar[str] = "bonus.expired"
    bonus: Bonus


BonusEvent = BonusGranted | BonusConverted | BonusForfeited | BonusExpired

# The event of the step that brought a bonus to each state.
BONUS_EVENTS: dict[BonusState, type[BonusEvent]] = {
    BonusState.ACTIVE: BonusGranted,
    BonusState.CONVERTED: BonusConverted,
    BonusState.FORFEITED: BonusForfeited,
    BonusState.EXPIRED: BonusExpired,
}

DomainEvent = (
    TransactionPosted
    | BetPlaced
    | BetSettled
    | BetPlayed
    | BetVoided
    | WithdrawalEvent
    | WithdrawalPayoutDelayed
    | RiskFlagRaised
    | PlayerBlocked
    | PlayerUnblocked
    | CrashEvent
    | BonusEvent
)


def transactions_posted(*transactions: PostedTransaction) -> list[TransactionPosted]:
    """The events of what the ledger just recorded: none for a replay (nothing moved)."""
    return [TransactionPosted(t) for t in transactions if not t.replayed]


def bet_stored(bet: Bet) -> list[DomainEvent]:
    """The events of a newly stored bet: placed, and its end too when it was decided at once."""
    events: list[DomainEvent] = [BetPlaced(bet)]
    if bet.state.is_final:
        events.append(bet_ended(bet))
    return events


def bet_posted(bet: Bet, transactions: Sequence[PostedTransaction]) -> list[DomainEvent]:
    """The events of a newly stored bet and the transactions its placement posted: one
    `BetPlayed` for a bet posted at once (one transaction, which moved money), else
    `bet_stored`'s and `transactions_posted`'s, in that order."""
    if bet.posted_at_once and len(transactions) == 1 and not transactions[0].replayed:
        return [BetPlayed(bet, transactions[0])]
    return [*bet_stored(bet), *transactions_posted(*transactions)]


def bet_ended(bet: Bet) -> BetSettled | BetVoided:
    """The event of a bet's end: voided, or settled (won or lost)."""
    return BetVoided(bet) if bet.state is BetState.VOIDED else BetSettled(bet)
