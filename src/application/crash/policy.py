"""How crash rounds run here (settings), and the round facts the use cases share."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from application.ports import UnitOfWork
from domain.crash_rounds import DEFAULT_BANKROLL_SHARE, CrashRound
from domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class CrashPolicy:
    """`betting_seconds`: how long a round takes bets; `bankroll_share`: what a round may owe
    beyond its stakes, as a share of the bankroll; `watch`: the longest (s) the driver waits
    without looking again while its next move has a known time (a round's betting end or crash
    time, which it sleeps until): how soon it notices a lost lock or a round changed by someone
    else; `recovery_grace`: how late (s) after its crash time a round may be settled and still count
    as seen through; `lock_poll`: how often (s) a waiting driver tries the lock."""

    betting_seconds: float = 5.0
    bankroll_share: Fraction = DEFAULT_BANKROLL_SHARE
    watch: float = 1.0
    recovery_grace: float = 3.0
    lock_poll: float = 1.0

    def __post_init__(self) -> None:
        if self.betting_seconds <= 0 or self.watch <= 0 or self.lock_poll <= 0:
            raise ValueError("crash's betting time, watch and lock poll must be positive")
        if not 0 < self.bankroll_share <= 1 or self.recovery_grace < 0:
            raise ValueError("crash's bankroll share is in (0, 1], its grace not negative")


@dataclass(slots=True)
class CrashPoints:
    """Started rounds' hashes and crash points, read once per round and process (a round's
    hash never changes). Only for rounds that have started: the database gives no other."""

    known: dict[int, tuple[str, int]] = field(default_factory=dict)

    async def of(self, uow: UnitOfWork, round_: CrashRound) -> tuple[str, int]:
        found = self.known.get(round_.id)
        if found is None:
            chain = await uow.crash.chain(round_.chain_id)
            if chain is None:  # pragma: no cover - a foreign key
                raise NotFound(f"there is no crash chain {round_.chain_id}")
            round_hash = await uow.crash.round_hash(round_.id)
            found = (round_hash, chain.crash_point(round_hash))
            if len(self.known) > 64:  # only the last rounds are ever asked for
                self.known.clear()
            self.known[round_.id] = found
        return found
