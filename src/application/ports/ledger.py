"""The journal, and the movements a player sees on their wallets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.ledger import MetadataValue, PostedTransaction, Transaction, TransactionKind
from domain.money import Money


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

    async def post_all(self, transactions: Sequence[Transaction]) -> list[PostedTransaction]:
        """Post several transactions in this order, each exactly as `post` would (a later one
        sees the balances an earlier one left), in one round trip. If one fails, the error is
        raised and the caller's unit of work must not commit what came before it."""
        ...

    async def get(self, transaction_id: uuid.UUID) -> PostedTransaction:
        """The transaction, or `NotFound`."""
        ...

    async def has_key(self, idempotency_key: str) -> bool:
        """Whether a transaction with this idempotency key is committed (or being written by
        this unit of work): a repeat of it would be a replay, not a new movement."""
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
