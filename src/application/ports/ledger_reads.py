"""Staff's reads of the journal: the filter, the views and the read model."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.accounts import AccountKind
from domain.ledger import MetadataValue, TransactionKind


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """Which transactions: every field narrows; None means any."""

    player_id: int | None = None  # a leg on one of this player's wallets
    kind: TransactionKind | None = None
    currency: str | None = None  # a leg in this currency
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created strictly before

    def describe(self) -> dict[str, object]:
        return {
            "player_id": self.player_id,
            "kind": None if self.kind is None else self.kind.value,
            "currency": self.currency,
            "from": None if self.since is None else self.since.isoformat(),
            "to": None if self.until is None else self.until.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class LegView:
    leg_id: int
    account_id: int
    account_kind: AccountKind
    player_id: int | None  # the wallet's owner; None for a house account
    currency: str
    amount: int  # signed, in minor units
    balance_after: int


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: uuid.UUID
    kind: TransactionKind
    idempotency_key: str
    reference: str
    metadata: Mapping[str, MetadataValue]
    created_at: datetime
    legs: tuple[LegView, ...]


class LedgerReadModel(Protocol):
    """Reads of the journal for staff; nothing here writes."""

    async def transactions(
        self,
        where: LedgerFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[TransactionView]:
        """Matching transactions with their legs, newest first (by creation time, then id),
        strictly after the position `after` in that order."""
        ...

    async def transaction(self, transaction_id: uuid.UUID) -> TransactionView | None: ...
