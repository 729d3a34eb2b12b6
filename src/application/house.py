"""How the house's side of the books is laid out."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import AccountRepository
from domain.accounts import DEFAULT_HOUSE_SHARDS, AccountKind, house_shard_for
from domain.money import Currency


@dataclass(frozen=True, slots=True)
class HouseBook:
    """Which shard of a house account serves a player. Sharding keeps concurrent bets of
    different players from queueing on one house row; a player's shard never changes, so a
    replayed request builds the very same legs."""

    shards: int = DEFAULT_HOUSE_SHARDS

    async def account_for(
        self, accounts: AccountRepository, kind: AccountKind, currency: Currency, player_id: int
    ) -> int:
        return await accounts.house_account_id(
            kind, currency, house_shard_for(player_id, self.shards)
        )
