"""A crash round and the rules of its bets, in plain Python.

A round is BETTING (bets taken until `betting_ends_at`), then RUNNING from `started_at` (the
multiplier grows on `domain.crash.multiplier_at`), then CRASHED at its crash point, when every
bet is settled and the round's hash is revealed. The crash point comes from the chain alone.

What a bet cashes out at (`outcome_of`), whoever settles it and whenever:
- a cash-out recorded while the round ran stands (it was taken at the multiplier of
  PostgreSQL's clock when it was recorded, never above the bet's target);
- a bet whose target (the cap for a bet without one) is at or below the crash point cashes out
  at its target: an automatic cash-out needs no one to press anything;
- any other bet lost, unless the round was interrupted (`interrupted`): a round that was not
  settled by a driver that saw it through is finished on recovery, and its other bets are
  refunded (voided), because nobody can tell whether their players could reach a door while it
  was down. The house gives up one round's edge; no player loses a stake to an outage."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from domain.crash import (
    MAX_MULTIPLIER,
    ONE_X,
    crash_point,
    hash_forward,
    ms_to_reach,
    multiplier_at,
)
from domain.errors import IllegalTransition, LimitExceeded
from domain.games.base import Selection, format_hundredths
from domain.games.crash import LOST, MANUAL, Crash
from domain.money import Money

# A round may owe at most this share of the bankroll in its currency (the sum of what its
# bets could win beyond their stakes), unless configured otherwise.
DEFAULT_BANKROLL_SHARE = Fraction(1, 100)


class CrashRefusal(IllegalTransition):
    """A crash bet or cash-out the round's state refuses. `rule` names why, for a screen to
    word it: "not_taking_bets", "one_bet_a_round", "not_started", "crashed" (`crash_point`, in
    hundredths, says at what) or "bet_over" (the bet is already settled)."""

    def __init__(self, rule: str, message: str, *, crash_point: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.crash_point = crash_point


class RoundPhase(enum.StrEnum):
    BETTING = "betting"
    RUNNING = "running"
    CRASHED = "crashed"


@dataclass(frozen=True, slots=True)
class CrashRound:
    number: int
    chain_id: int
    phase: RoundPhase
    betting_ends_at: datetime
    started_at: datetime | None = None
    crashed_at: datetime | None = None
    crash_point: int | None = None  # hundredths; known to the public only once crashed
    round_hash: str | None = None  # revealed once crashed
    id: int = 0  # the database's; `number` is the round's place in its chain
    interrupted: bool = False  # settled by the recovery rule (module docstring)

    def require_betting(self, now: datetime) -> None:
        if self.phase is not RoundPhase.BETTING or now >= self.betting_ends_at:
            raise CrashRefusal(
                "not_taking_bets",
                f"crash round {self.number} takes no more bets; wait for the next round",
            )


@dataclass(frozen=True, slots=True)
class CashOut:
    """A manual cash-out, at `multiplier` hundredths, `ms` after the round started."""

    multiplier: int
    ms: int


def cash_out_at(selection: Selection, crash_point: int, ms: int) -> CashOut:
    """The cash-out of a bet asked for `ms` after the start (PostgreSQL's clock), or
    `IllegalTransition` once the round has crashed. A bet whose target was already reached
    had been cashed out at it, automatically."""
    crashed_at_ms = ms_to_reach(crash_point)
    if ms >= crashed_at_ms:
        raise CrashRefusal(
            "crashed",
            f"the round crashed at {format_hundredths(crash_point)}x",
            crash_point=crash_point,
        )
    reached = min(multiplier_at(ms), Crash.ceiling(selection))
    return CashOut(reached, min(ms, ms_to_reach(reached)))


def outcome_of(
    selection: Selection, crash_point: int, cashed_out: int | None, *, interrupted: bool = False
) -> int | None:
    """The bet's outcome (hundredths cashed out at, LOST = 0), or None: refunded (see the
    module's docstring)."""
    if cashed_out is not None:
        return cashed_out
    ceiling = Crash.ceiling(selection)
    if ceiling <= crash_point:
        return ceiling
    return None if interrupted else LOST


def crash_time_ms(crash_point: int) -> int:
    """How long after its start a round with this crash point crashes."""
    return ms_to_reach(max(ONE_X, min(crash_point, MAX_MULTIPLIER)))


@dataclass(frozen=True, slots=True)
class RoundExposure:
    """What a round's bets in one currency could cost the house: the sum of (largest payout -
    stake). A bet that would take it past the round's share of the bankroll is refused (not
    capped: a player who asked for a target gets that target or no bet)."""

    owed: int
    bankroll: int
    share: Fraction = DEFAULT_BANKROLL_SHARE

    @property
    def limit(self) -> int:
        return max(0, (self.bankroll * self.share).__floor__())

    def admit(self, stake: Money, max_payout: int) -> RoundExposure:
        owed = self.owed + max(0, max_payout - stake.amount)
        if owed > self.limit:
            raise LimitExceeded(
                f"this crash round can pay out at most {Money(self.limit, stake.currency)} "
                "beyond its stakes; try a smaller stake or a lower target, or the next round",
                rule="round_exposure",
                limit=Money(self.limit, stake.currency),
            )
        return RoundExposure(owed, self.bankroll, self.share)


@dataclass(frozen=True, slots=True)
class CrashChain:
    """A committed chain: its published end, its salt (None until set, and no round before),
    its length and the next round it will open."""

    id: int
    end_hash: str
    salt: str | None
    length: int
    next_round: int

    def crash_point(self, round_hash: str) -> int:
        if self.salt is None:
            raise IllegalTransition(f"crash chain {self.id} has no salt yet")
        return crash_point(round_hash, self.salt)


@dataclass(frozen=True, slots=True)
class CrashSeat:
    """A bet's seat in a round: one per player, round and currency. The bet itself (its stake,
    state and payout) is the `Bet` of the same id."""

    bet_id: uuid.UUID
    round_id: int
    player_id: int
    currency: str
    target: int | None
    exposure: int
    cash_out: CashOut | None = None

    @property
    def selection(self) -> Selection:
        return MANUAL if self.target is None else Selection("target", self.target)


def require_free_seat(seats: Iterable[CrashSeat], player_id: int, currency: str) -> None:
    """One bet per player, round and currency (the database's unique index says it too)."""
    if any(s.player_id == player_id and s.currency == currency for s in seats):
        raise CrashRefusal(
            "one_bet_a_round",
            f"you already have a bet in {currency} in this crash round; one bet a round",
        )


def round_problems(round_: CrashRound, chain: CrashChain, link: tuple[int, str]) -> list[str]:
    """What is wrong with a crashed round: its hash, hashed forward to the last link checked
    (`link`: (round number, hash); (0, the published end) first), and its crash point."""
    if round_.round_hash is None or round_.crash_point is None:
        return ["crashed without its hash or crash point"]
    number, known = link
    if hash_forward(round_.round_hash, round_.number - number) != known:
        return [f"its hash does not lead to round {number}'s link (or the chain's end)"]
    if chain.salt is None or round_.crash_point != crash_point(round_.round_hash, chain.salt):
        return [f"crash point {round_.crash_point} does not recompute from its hash and salt"]
    return []


def seat_problems(
    round_: CrashRound, seat: CrashSeat, state: str, outcome: int | None
) -> list[str]:
    """What is wrong with a crashed round's bet, recomputed from the round: its cash-out, its
    target against the crash point, or its refund (`outcome_of`). The multiplier, payout and
    state follow from the outcome (`domain.verification.settlement_problems`)."""
    assert round_.crash_point is not None
    cashed = None if seat.cash_out is None else seat.cash_out.multiplier
    expected = outcome_of(
        seat.selection, round_.crash_point, cashed, interrupted=round_.interrupted
    )
    if state == "placed":
        return ["still open after its round crashed"]
    if expected is None:
        return [] if state == "voided" else [f"{state}, but its round's rule refunds it"]
    if state == "voided":
        return [f"refunded, but its round's rule settles it at {expected}"]
    if outcome != expected:
        return [f"outcome {outcome}, recomputed from its round {expected}"]
    return []
