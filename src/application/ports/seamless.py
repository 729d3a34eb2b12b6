"""The seamless wallet's records of game providers' transactions and rounds, and the answers
an HTTP dialect keeps by its request ids (`domain.kept_answers`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.kept_answers import KeptAnswer
from domain.money import Currency
from domain.seamless import ProviderTransaction, SeamlessRound


class ProviderTransactionRepository(Protocol):
    """The seamless wallet's records: game providers' transactions, keyed by (provider,
    transaction id), and their rounds, keyed by (provider, round id). A record is inserted
    once; a debit changes once (to rolled back) and a round once (to closed)."""

    async def find(
        self, provider: str, transaction_id: str, *, for_update: bool = False
    ) -> ProviderTransaction | None:
        """The provider's transaction, or None. `for_update` locks it until the unit of work
        ends, so that concurrent rollbacks of one debit are serialised."""
        ...

    async def find_rollback(
        self, provider: str, rollback_transaction_id: str
    ) -> ProviderTransaction | None:
        """The debit (or tombstone) that the rollback with this id of its own rolled back."""
        ...

    async def add(self, transaction: ProviderTransaction) -> bool:
        """Insert the transaction; False (and nothing written) when the provider already has
        one with that id, even one a concurrent unit of work is still writing: the call waits
        for it. Its round must exist (see `lock_round`)."""
        ...

    async def save(self, transaction: ProviderTransaction) -> None:
        """Persist a debit's one transition, from debited to rolled back; `IllegalTransition`
        if it is no longer debited."""
        ...

    async def round_debits(self, provider: str, round_id: str) -> Sequence[ProviderTransaction]:
        """The round's debits in every state (debited, rolled back, cancelled tombstones);
        read under the round's lock, so no call on the round changes them meanwhile."""
        ...

    async def lock_round(
        self,
        provider: str,
        round_id: str,
        *,
        player_id: int,
        currency: Currency,
        now: datetime,
    ) -> SeamlessRound:
        """The round, locked until the unit of work ends; created open, for this player and
        currency, if the provider never named it. Every debit, credit and rollback takes this
        lock before it touches a transaction, so calls on one round are serialised (and
        always in the same lock order: round, provider transaction, accounts)."""
        ...

    async def close_round(self, round_: SeamlessRound) -> None:
        """Persist a locked round's one transition, from open to closed by a credit;
        `IllegalTransition` if it is closed already."""
        ...


class KeptAnswerRepository(Protocol):
    """Answers keyed by (door, request id), inserted once, deleted only when old."""

    async def find(self, door: str, request_id: str) -> KeptAnswer | None: ...

    async def add(self, answer: KeptAnswer) -> bool:
        """Insert the answer; False (nothing written) when that request id has one already,
        even one a concurrent unit of work is still writing: the call waits for it."""
        ...

    async def delete_before(self, before: datetime, *, limit: int) -> int:
        """Delete at most `limit` answers kept before `before`; how many were deleted."""
        ...
