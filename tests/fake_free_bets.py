"""In-memory free bets (the adapter's rules: granted to played or expired once, one play per
seed pair nonce, a budget's remainder read from the fake budgets)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports import FreeBetCounts
from domain.errors import IdempotencyConflict, IllegalTransition, NotFound
from domain.free_bets import FreeBet, FreeBetState
from domain.money import Money

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeFreeBets:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, free_bets: Sequence[FreeBet]) -> None:
        for free_bet in free_bets:
            if free_bet.id in self.s.free_bets:
                raise IdempotencyConflict(f"free bet {free_bet.id} exists")
            self.s.free_bets[free_bet.id] = free_bet

    async def get(self, free_bet_id: uuid.UUID, *, for_update: bool = False) -> FreeBet:
        if free_bet_id not in self.s.free_bets:
            raise NotFound(f"there is no free bet {free_bet_id}")
        return self.s.free_bets[free_bet_id]

    async def save(self, free_bet: FreeBet) -> None:
        stored = await self.get(free_bet.id)
        if stored.state is not FreeBetState.GRANTED:
            raise IllegalTransition(f"free bet {free_bet.id} is no longer granted")
        if free_bet.play is not None:
            proof = free_bet.play.proof
            for other in self.s.free_bets.values():
                if other.play is not None and (
                    other.play.proof.seed_pair_id,
                    other.play.proof.nonce,
                ) == (proof.seed_pair_id, proof.nonce):
                    raise IdempotencyConflict("a seed pair's nonce is played once")
        self.s.free_bets[free_bet.id] = free_bet

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[FreeBet]:
        mine = [fb for fb in self.s.free_bets.values() if fb.player_id == player_id]
        granted = sorted(
            (fb for fb in mine if fb.state is FreeBetState.GRANTED), key=lambda f: f.expires_at
        )
        ended = sorted(
            (fb for fb in mine if fb.state is not FreeBetState.GRANTED),
            key=lambda f: (f.play.played_at if f.play else f.expired_at) or f.granted_at,
            reverse=True,
        )
        return [*granted, *ended][:limit]

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        due = sorted(
            (
                fb
                for fb in self.s.free_bets.values()
                if fb.state is FreeBetState.GRANTED and fb.expires_at <= now
            ),
            key=lambda f: (f.expires_at, f.id),
        )
        return [fb.id for fb in due[:limit]]

    async def budget_left(self, code: str) -> Money:
        if code not in self.s.budgets:
            raise NotFound(f"no promotion budget {code!r}")
        return self.s.budgets[code].remaining

    async def counts(self, campaign: str) -> FreeBetCounts:
        mine = [fb for fb in self.s.free_bets.values() if fb.campaign == campaign]
        played = [fb.play for fb in mine if fb.play is not None]
        return FreeBetCounts(
            granted=len(mine),
            played=len(played),
            won=sum(1 for p in played if p.won),
            expired=sum(1 for fb in mine if fb.state is FreeBetState.EXPIRED),
            winnings=sum(p.winnings.amount for p in played),
        )
