"""The ports the use cases own. Adapters implement them; nothing here knows about SQL, Redis or
Telegram."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.accounts import Account, AccountKind
from domain.ledger import MetadataValue, PostedTransaction, Transaction, TransactionKind
from domain.money import Currency, Money
from domain.players import Player


class Clock(Protocol):
    """The current time, timezone-aware (UTC)."""

    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    """Fresh, globally unique identifiers for new records."""

    def new_id(self) -> uuid.UUID: ...


class PlayerRepository(Protocol):
    """Players by their internal id and by their Telegram user id."""

    async def register(
        self,
        telegram_user_id: int,
        *,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> tuple[Player, bool]:
        """Create the player if this Telegram user is new. Returns the player and whether it was
        created by this call; safe under concurrent calls for the same user."""
        ...

    async def get(self, player_id: int) -> Player:
        """The player, or `NotFound`."""
        ...

    async def find_by_telegram_id(self, telegram_user_id: int) -> Player | None: ...


class AccountRepository(Protocol):
    """Wallets and house accounts. Opening is idempotent; balances are read, never written here:
    only the ledger moves money."""

    async def open_wallet(self, player_id: int, currency: Currency) -> Account:
        """The player's wallet in that currency, created empty if missing."""
        ...

    async def wallet(self, player_id: int, currency: Currency) -> Account | None: ...

    async def wallets(self, player_id: int) -> Sequence[Account]:
        """Every wallet of the player, ordered by currency code."""
        ...

    async def get(self, account_id: int) -> Account:
        """The account, or `NotFound`."""
        ...

    async def house_account_id(self, kind: AccountKind, currency: Currency, shard: int) -> int:
        """The id of one shard of a house account, created if missing."""
        ...


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One movement on one of a player's wallets, as the player sees it."""

    leg_id: int
    transaction_id: uuid.UUID
    kind: TransactionKind
    amount: Money
    balance_after: int
    created_at: datetime
    reference: str
    metadata: dict[str, MetadataValue]


class Ledger(Protocol):
    """The journal. Posting is atomic: every leg and balance change, or none."""

    async def post(self, transaction: Transaction) -> PostedTransaction:
        """Record the transaction and apply its legs to the balances.

        - Raises `InsufficientFunds` when an account that may not go negative would.
        - If a transaction with the same idempotency key exists: returns it with
          `replayed=True` when its content is the same (nothing moves), raises
          `IdempotencyConflict` when it differs.
        """
        ...

    async def get(self, transaction_id: uuid.UUID) -> PostedTransaction:
        """The transaction, or `NotFound`."""
        ...

    async def history(
        self,
        account_ids: Sequence[int],
        *,
        before_leg_id: int | None,
        limit: int,
    ) -> Sequence[HistoryEntry]:
        """Movements on these accounts, newest first, strictly older than `before_leg_id`."""
        ...


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without `commit()` rolls everything back."""

    @property
    def players(self) -> PlayerRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def ledger(self) -> Ledger: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work; use cases that need several transactions ask for one each."""

    def __call__(self) -> UnitOfWork: ...


class CurrencyCatalog(Protocol):
    """Where the accepted currencies are kept (data, not code)."""

    async def all(self) -> Sequence[Currency]: ...

    async def add(self, currency: Currency) -> bool:
        """Add a currency; False if that code already exists with the same exponent.
        A different exponent for an existing code is an `InvalidRequest`."""
        ...
