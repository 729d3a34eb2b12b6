"""Crash's rounds and seats, and the lock that makes one instance their driver."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.crash_rounds import CashOut, CrashChain, CrashRound, CrashSeat


@dataclass(frozen=True, slots=True)
class RoundSeating:
    """What a batch of crash bets is decided on, read at once without locks
    (`CrashRounds.seating`); the write checks it still holds (`RoundSeats`)."""

    round: CrashRound | None  # the newest round of any chain
    taking_bets: bool  # it is in its betting phase and its betting ends later, by the DB clock
    seats: Sequence[CrashSeat]  # the players' seats in it
    exposure: Mapping[str, int]  # currency code -> the sum of its seats' exposure


class CrashRounds(Protocol):
    """Inside a unit of work. Round hashes come only from the database's own functions, and
    only for rounds that have started (revision 0026)."""

    async def active_chain(self) -> CrashChain | None:
        """The newest chain with rounds left (None: run `croupier crash chain new`)."""
        ...

    async def chain(self, chain_id: int) -> CrashChain | None: ...

    async def open_round(self, chain_id: int, betting_ends_at: datetime) -> CrashRound:
        """The chain's next round, taking bets until `betting_ends_at`."""
        ...

    async def start_round(self, round_id: int) -> tuple[CrashRound, str]:
        """Start a betting round now (the database's clock; waits for bets being placed on
        it) and return it with its hash; a round already started is returned as it is."""
        ...

    async def round_hash(self, round_id: int) -> str:
        """The hash of a round that has started."""
        ...

    async def find(self, round_id: int, *, share: bool = False) -> CrashRound | None:
        """A round; `share` holds it FOR SHARE until commit, so it cannot start or crash
        while a bet or a cash-out on it is being written."""
        ...

    async def latest(self) -> CrashRound | None:
        """The newest round of any chain."""
        ...

    async def unfinished(self) -> Sequence[CrashRound]:
        """Rounds not crashed yet, oldest first."""
        ...

    async def finish(self, crashed: CrashRound, *, interrupted: bool) -> None:
        """Record the crash: point, time and the revealed hash."""
        ...

    async def elapsed_ms(self, since: datetime) -> int:
        """Milliseconds from `since` to the database's clock now (clock_timestamp())."""
        ...

    async def add_seat(self, seat: CrashSeat) -> bool:
        """Insert a seat; False when this bet id already has one (a replay)."""
        ...

    async def seat(self, bet_id: uuid.UUID, *, for_update: bool = False) -> CrashSeat | None: ...

    async def seats(self, round_id: int, *, player_id: int | None = None) -> Sequence[CrashSeat]:
        """A round's seats (of one player only, when given), in the order they were taken."""
        ...

    async def exposure(self, round_id: int, currency: str) -> int:
        """The sum of the round's seats' exposure in a currency, after waiting for the other
        placements on the same round and currency to commit (a transaction lock): the check
        of the bankroll share cannot be passed twice on one reading."""
        ...

    async def record_cash_out(self, bet_id: uuid.UUID, cash_out: CashOut) -> None: ...

    async def seats_for_cash_out(self, bet_ids: Sequence[uuid.UUID]) -> Sequence[CrashSeat]:
        """The seats of these bet ids that exist, locked until the unit of work ends (in bet
        id order, so two batches never wait on each other crosswise)."""
        ...

    async def record_cash_outs(self, cash_outs: Mapping[uuid.UUID, CashOut]) -> None:
        """`record_cash_out` for many seats in one statement."""
        ...

    async def seating(self, player_ids: Sequence[int]) -> RoundSeating:
        """The newest round, whether it takes bets by the database's clock, these players'
        seats in it and its exposure per currency, in one read without locks."""
        ...


class LeaderLock(Protocol):
    """The lock only one round driver holds, on a connection of its own: `claim()` yields
    whether this instance got it; the database releases it when the connection dies."""

    def claim(self) -> AbstractAsyncContextManager[bool]: ...

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (another instance may hold it now)."""
        ...
