"""A debit from a player's wallet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from application.postings.poster import WalletPoster, WalletPosting
from domain.ledger import MetadataValue
from domain.money import Money
from domain.postings import debit


@dataclass(frozen=True, slots=True)
class DebitWalletCommand:
    player_id: int
    amount: Money
    idempotency_key: str
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)


class DebitWallet(WalletPoster):
    """Take money from a player's wallet to the house bankroll (a charge, a provider's
    debit). Fails with `InsufficientFunds` rather than letting the wallet go negative."""

    async def __call__(self, command: DebitWalletCommand) -> WalletPosting:
        return await self._post(
            command.player_id,
            debit(command.amount, command.idempotency_key, command.reference, command.metadata),
        )
