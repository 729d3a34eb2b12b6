"""How the house's side of the books is laid out."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import AccountRepository
from domain.accounts import DEFAULT_HOUSE_SHARDS, AccountKind, house_shard_for
from domain.money import Currency

# The shard that carries the house's own postings, which have no player to shard by (funding
# the bankroll). Shard 0 exists whatever the number of shards, and is where such postings
# have always gone: a replay of an earlier one must build the very same legs.
HOUSE_OWN_SHARD = 0


@dataclass(frozen=True, slots=True)
class HouseBook:
    """Which shard of a house account serves a posting. Sharding keeps concurrent bets of
    different players from queueing on one house row; a player's shard never changes, so a
    replayed request builds the very same legs. Balances that matter to the house as a whole
    (the bankroll a bet is checked against) are summed over every shard, so which shard holds
    what is the book's business alone."""

    shards: int = DEFAULT_HOUSE_SHARDS

    async def account_for(
        self, accounts: AccountRepository, kind: AccountKind, currency: Currency, player_id: int
    ) -> int:
        """The shard of a house account that takes a player's side of a posting."""
        return await accounts.house_account_id(
            kind, currency, house_shard_for(player_id, self.shards)
        )

    async def own_account(
        self, accounts: AccountRepository, kind: AccountKind, currency: Currency
    ) -> int:
        """The shard of a house account that takes a posting of the house's own, between two
        house accounts with no player involved."""
        return await accounts.house_account_id(kind, currency, HOUSE_OWN_SHARD)
