"""In-memory crash rounds and the driver's lock, keeping the adapter's rules: hashes only of
started rounds, one seat per player, round and currency, the database's clock (a `FakeClock`
of the state, or the real time) for starts and cash-outs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from application.ports import RoundSeating, RoundSeats
from domain.crash import first_link, hash_forward
from domain.crash_rounds import CashOut, CrashChain, CrashRound, CrashSeat, RoundPhase
from domain.errors import IllegalTransition, NotFound

if TYPE_CHECKING:
    from tests.fakes import _State


def add_chain(state: _State, secret: bytes, length: int, salt: str) -> CrashChain:
    """What `croupier crash chain new` and `salt` store (the links stand for the checkpoints)."""
    chain = CrashChain(len(state.crash_chains) + 1, "", salt, length, 1)
    chain = replace(chain, end_hash=hash_forward(first_link(secret), length))
    state.crash_chains[chain.id] = chain
    state.crash_secrets[chain.id] = secret
    return chain


class FakeCrashRounds:
    def __init__(self, state: _State) -> None:
        self.s = state

    def _now(self) -> datetime:
        clock = self.s.crash_clock
        return clock.now() if clock is not None else datetime.now(UTC)

    async def active_chain(self) -> CrashChain | None:
        ready = [c for c in self.s.crash_chains.values() if c.next_round <= c.length]
        return max(ready, key=lambda c: c.id, default=None)

    async def chain(self, chain_id: int) -> CrashChain | None:
        return self.s.crash_chains.get(chain_id)

    async def open_round(self, chain_id: int, betting_ends_at: datetime) -> CrashRound:
        chain = self.s.crash_chains[chain_id]
        if chain.salt is None or chain.next_round > chain.length:
            raise IllegalTransition(f"crash chain {chain_id} is not ready")
        round_ = CrashRound(
            chain.next_round,
            chain_id,
            RoundPhase.BETTING,
            betting_ends_at,
            id=len(self.s.crash_rounds) + 1,
        )
        self.s.crash_rounds[round_.id] = round_
        self.s.crash_chains[chain_id] = replace(chain, next_round=chain.next_round + 1)
        return round_

    def _hash(self, round_: CrashRound) -> str:
        chain = self.s.crash_chains[round_.chain_id]
        secret = self.s.crash_secrets[chain.id]
        return hash_forward(first_link(secret), chain.length - round_.number)

    async def start_round(self, round_id: int) -> tuple[CrashRound, str]:
        round_ = self.s.crash_rounds[round_id]
        if round_.phase is RoundPhase.BETTING:
            round_ = replace(round_, phase=RoundPhase.RUNNING, started_at=self._now())
            self.s.crash_rounds[round_id] = round_
        return round_, self._hash(round_)

    async def round_hash(self, round_id: int) -> str:
        round_ = self.s.crash_rounds.get(round_id)
        if round_ is None or round_.phase is RoundPhase.BETTING:
            raise IllegalTransition(f"crash round {round_id} has not started")
        return self._hash(round_)

    async def find(self, round_id: int, *, share: bool = False) -> CrashRound | None:
        return self.s.crash_rounds.get(round_id)

    async def latest(self) -> CrashRound | None:
        return self.s.crash_rounds[max(self.s.crash_rounds)] if self.s.crash_rounds else None

    async def unfinished(self) -> Sequence[CrashRound]:
        rounds = self.s.crash_rounds.values()
        return sorted((r for r in rounds if r.phase is not RoundPhase.CRASHED), key=lambda r: r.id)

    async def finish(self, crashed: CrashRound, *, interrupted: bool) -> None:
        current = self.s.crash_rounds[crashed.id]
        if current.phase is not RoundPhase.RUNNING:
            return
        if crashed.round_hash != self._hash(current):
            raise IllegalTransition(f"that is not the hash of crash round {crashed.id}")
        self.s.crash_rounds[crashed.id] = crashed
        if interrupted:
            self.s.crash_interrupted.add(crashed.id)

    async def elapsed_ms(self, since: datetime) -> int:
        return int((self._now() - since).total_seconds() * 1000)

    async def add_seat(self, seat: CrashSeat) -> bool:
        if seat.bet_id in self.s.crash_seats:
            return False
        for other in self.s.crash_seats.values():
            if (other.round_id, other.player_id, other.currency) == (
                seat.round_id,
                seat.player_id,
                seat.currency,
            ):
                raise IllegalTransition("one bet a round")
        self.s.crash_seats[seat.bet_id] = seat
        return True

    async def seat(self, bet_id: uuid.UUID, *, for_update: bool = False) -> CrashSeat | None:
        return self.s.crash_seats.get(bet_id)

    async def seats(self, round_id: int, *, player_id: int | None = None) -> Sequence[CrashSeat]:
        return [
            s
            for s in self.s.crash_seats.values()
            if s.round_id == round_id and player_id in (None, s.player_id)
        ]

    async def exposure(self, round_id: int, currency: str) -> int:
        seats = self.s.crash_seats.values()
        return sum(s.exposure for s in seats if s.round_id == round_id and s.currency == currency)

    async def record_cash_out(self, bet_id: uuid.UUID, cash_out: CashOut) -> None:
        seat = self.s.crash_seats.get(bet_id)
        if seat is None:
            raise NotFound(f"no crash seat {bet_id}")
        if seat.cash_out is None:
            self.s.crash_seats[bet_id] = replace(seat, cash_out=cash_out)

    async def seats_for_cash_out(self, bet_ids: Sequence[uuid.UUID]) -> Sequence[CrashSeat]:
        return [self.s.crash_seats[i] for i in sorted(set(bet_ids)) if i in self.s.crash_seats]

    async def record_cash_outs(self, cash_outs: Mapping[uuid.UUID, CashOut]) -> None:
        for bet_id, cash_out in cash_outs.items():
            await self.record_cash_out(bet_id, cash_out)

    async def seating(self, player_ids: Sequence[int]) -> RoundSeating:
        round_ = await self.latest()
        if round_ is None:
            return RoundSeating(None, False, (), {})
        seats = await self.seats(round_.id)
        exposure: dict[str, int] = {}
        for seat in seats:
            exposure[seat.currency] = exposure.get(seat.currency, 0) + seat.exposure
        return RoundSeating(
            round_,
            round_.phase is RoundPhase.BETTING and self._now() < round_.betting_ends_at,
            [seat for seat in seats if seat.player_id in set(player_ids)],
            exposure,
        )

    def write_seats(self, seats: RoundSeats) -> bool:
        """`place_round_bets`'s part, after `place_bets`'s checks: False (nothing written)
        when the round stopped taking bets, a seat was taken or the exposure passed a limit."""
        round_ = self.s.crash_rounds.get(seats.round_id)
        if (
            round_ is None
            or round_.phase is not RoundPhase.BETTING
            or self._now() >= round_.betting_ends_at
        ):
            return False
        taken = {(s.round_id, s.player_id, s.currency) for s in self.s.crash_seats.values()}
        if any(
            seat.bet_id in self.s.crash_seats
            or (seat.round_id, seat.player_id, seat.currency) in taken
            for seat in seats.seats
        ):
            return False
        every = [*self.s.crash_seats.values(), *seats.seats]
        for currency, limit in seats.limits.items():
            owed = sum(
                s.exposure for s in every if s.round_id == seats.round_id and s.currency == currency
            )
            if owed > limit:
                return False
        for seat in seats.seats:
            self.s.crash_seats[seat.bet_id] = seat
        return True


class FakeLeaderLock:
    """One holder among the locks sharing `held` (a set standing for the database's locks)."""

    def __init__(self, held: set[str], name: str = "lock") -> None:
        self._held = held
        self._name = name
        self.alive = True  # False: the lock's connection died

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[bool]:
        if self._held or not self.alive:
            yield False
            return
        self._held.add(self._name)
        try:
            yield True
        finally:
            self._held.discard(self._name)

    async def still_held(self) -> bool:
        if not self.alive:
            self._held.discard(self._name)
        return self.alive and self._name in self._held
