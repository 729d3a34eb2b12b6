"""In-memory bonuses (the adapter's rules: one active bonus per player and currency, one bonus
per key, ended once; wagering read from the fake bets and each game's contribution)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.bets import BetState
from domain.bonuses import (
    DEFAULT_CONTRIBUTIONS,
    Bonus,
    BonusActive,
    BonusState,
    contribution,
)
from domain.errors import IdempotencyConflict, IllegalTransition, NotFound
from domain.money import Currency

if TYPE_CHECKING:
    from tests.fakes import _State


def contribution_of(state: _State, game: str) -> int:
    """The game's contribution as the fake games table holds it (its default until saved)."""
    config = state.games.get(game)
    return config.contribution_pct if config is not None else DEFAULT_CONTRIBUTIONS[game]


class FakeBonuses:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def lock_player(self, player_id: int) -> None:
        if player_id not in self.s.players:
            raise NotFound(f"no player with id {player_id}")

    async def by_key(self, key: str) -> Bonus | None:
        return next((b for b in self.s.bonuses.values() if b.key == key), None)

    async def add(self, bonus: Bonus) -> None:
        if await self.by_key(bonus.key) is not None:
            raise IdempotencyConflict(f"bonus key {bonus.key!r} was granted meanwhile")
        if await self.active_of(bonus.player_id, bonus.currency) is not None:
            raise BonusActive(f"player {bonus.player_id} already has an active bonus")
        self.s.bonuses[bonus.id] = bonus

    async def get(self, bonus_id: uuid.UUID, *, for_update: bool = False) -> Bonus:
        if bonus_id not in self.s.bonuses:
            raise NotFound(f"no bonus {bonus_id}")
        return self.s.bonuses[bonus_id]

    async def active_of(
        self, player_id: int, currency: Currency, *, for_update: bool = False
    ) -> Bonus | None:
        return next(
            (
                b
                for b in self.s.bonuses.values()
                if b.player_id == player_id and b.currency == currency and b.active
            ),
            None,
        )

    async def of_player(self, player_id: int, *, limit: int) -> Sequence[Bonus]:
        mine = [b for b in self.s.bonuses.values() if b.player_id == player_id]
        return sorted(mine, key=lambda b: (b.granted_at, b.id), reverse=True)[:limit]

    async def save(self, bonus: Bonus, previous: BonusState) -> None:
        stored = await self.get(bonus.id)
        if stored.state is not previous:
            raise IllegalTransition(f"bonus {bonus.id} is no longer {previous}")
        if (
            stored.state is not BonusState.ACTIVE
            or replace(
                bonus,
                state=stored.state,
                ended_at=None,
                end_transaction_id=None,
                forfeit_reason=None,
            )
            != stored
        ):
            raise IllegalTransition(f"bonus {bonus.id} cannot change its terms")
        self.s.bonuses[bonus.id] = bonus

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[uuid.UUID]:
        due = [b for b in self.s.bonuses.values() if b.active and b.expires_at <= now]
        return [b.id for b in sorted(due, key=lambda b: (b.expires_at, b.id))[:limit]]

    async def active_ids(self, *, after: uuid.UUID | None, limit: int) -> Sequence[uuid.UUID]:
        found = sorted(b.id for b in self.s.bonuses.values() if b.active)
        return [i for i in found if after is None or i > after][:limit]

    async def weighted_wagering(self, bonus: Bonus, until: datetime) -> int:
        cap = None if bonus.max_stake is None else bonus.max_stake.amount
        return sum(
            contribution(bet.stake.amount, cap, contribution_of(self.s, bet.game))
            for bet in self.s.bets.values()
            if bet.player_id == bonus.player_id
            and bet.stake.currency == bonus.currency
            and bonus.granted_at <= bet.placed_at <= until
            and bet.state in (BetState.WON, BetState.LOST)
        )
