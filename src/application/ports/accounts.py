"""Wallets and house accounts (their balances move only through the ledger)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from domain.accounts import Account, AccountKind
from domain.money import Currency


class AccountRepository(Protocol):
    """Wallets and house accounts. Opening is idempotent; balances are read, never written here:
    only the ledger moves money."""

    async def open_wallet(self, player_id: int, currency: Currency) -> Account:
        """The player's wallet in that currency, created empty if missing."""
        ...

    async def wallet(self, player_id: int, currency: Currency) -> Account | None: ...

    async def open_bonus_account(self, player_id: int, currency: Currency) -> Account:
        """The player's bonus account in that currency (bonus money, never cash: see
        docs/bonuses.md), created empty if missing."""
        ...

    async def bonus_account(self, player_id: int, currency: Currency) -> Account | None: ...

    async def wallet_ids(self, player_ids: Sequence[int], currency: Currency) -> Mapping[int, int]:
        """The players' wallet ids in that currency, by player, in one read (those that exist)."""
        ...

    async def wallets(self, player_id: int) -> Sequence[Account]:
        """Every wallet (cash, not bonus) of the player, ordered by currency code."""
        ...

    async def get(self, account_id: int) -> Account:
        """The account, or `NotFound`."""
        ...

    async def house_account_id(self, kind: AccountKind, currency: Currency, shard: int) -> int:
        """The id of one shard of a house account, created if missing."""
        ...

    async def house_balance(self, kind: AccountKind, currency: Currency) -> int:
        """The balance of a house account summed over all its shards."""
        ...
