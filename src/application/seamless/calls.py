"""A game provider's three calls: their commands and answer, and what they share (the
round's lock, the replay of a repeated call, the posting, the door's kept answer)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from application.ledger_use_case import LedgerUseCase
from application.ports import UnitOfWork
from domain.access import ApiKey
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict
from domain.events import TransactionPosted
from domain.kept_answers import KeptAnswer
from domain.ledger import PostedTransaction, Transaction
from domain.money import Currency, Money
from domain.seamless import (
    ProviderTransaction,
    ProviderTransactionKind,
    SeamlessRound,
    validate_external_id,
    validate_player_id,
    validate_provider,
)

# How often a call is retried after losing a race for its transaction id to a concurrent
# call that committed first; each retry sees the winner's committed record.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class SeamlessDebitCommand:
    provider: str  # the calling service's name (from its API key)
    player_id: int
    amount: Money  # positive
    transaction_id: str  # the provider's id, unique per provider
    round_id: str
    game_id: str = ""


@dataclass(frozen=True, slots=True)
class SeamlessCreditCommand:
    """A win; the amount may be zero (a losing round). A credit closes its round."""

    provider: str
    player_id: int
    amount: Money
    transaction_id: str
    round_id: str
    game_id: str = ""
    # The provider's key (the gRPC door), whose caps bound one credit; None in-process.
    caller: ApiKey | None = None
    # Declared by the provider: a round without a stake, paid within the key's budget.
    free_round: bool = False


@dataclass(frozen=True, slots=True)
class SeamlessRollbackCommand:
    provider: str
    player_id: int
    transaction_id: str  # the id of the DEBIT being undone
    round_id: str
    currency: Currency  # the wallet currency (to answer with a balance, and for tombstones)
    # The rollback's own id, when the door names one (Hub88's `transaction_uuid`): stored on
    # the debit's record; reused for another debit's rollback it is an IdempotencyConflict.
    rollback_id: str | None = None


@dataclass(frozen=True, slots=True)
class SeamlessResult:
    transaction_id: str
    balance: Money  # the player's wallet balance after the call (or at replay time)
    replayed: bool = False
    # None when nothing moved: a zero credit, a rollback of an unknown debit.
    ledger_transaction_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class DoorRequest:
    """A door's own id for this call (Hub88's `request_uuid`), when its dialect promises that a
    repeat gets the first answer byte for byte: the use case keeps `render(result)` under it
    in the unit of work that writes the call's money (or its tombstone), so the answer and
    the money commit together or not at all. Replays write nothing and keep nothing here: the
    door keeps their answer itself (`application.aggregators.KeepAnswer`). None (the gRPC
    wallet's case): nothing is kept."""

    door: str
    request_id: str
    body_hash: bytes
    render: Callable[[SeamlessResult], bytes]


class AnswerKeptElsewhere(Exception):
    """A concurrent call kept an answer under this request id first: this call's work is
    rolled back, and the door answers with the kept one."""


class LostRace(Exception):
    """A concurrent call committed this transaction id first; start over and see it."""


class ProviderCall(LedgerUseCase):
    async def _retrying(
        self, attempt: Callable[[], Awaitable[SeamlessResult]], transaction_id: str
    ) -> SeamlessResult:
        for _ in range(_ATTEMPTS):
            try:
                return await attempt()
            except LostRace:
                continue
        raise IdempotencyConflict(  # pragma: no cover - needs three lost races in a row
            f"transaction {transaction_id} is being processed concurrently; retry"
        )

    async def _keep(
        self, uow: UnitOfWork, request: DoorRequest | None, result: SeamlessResult
    ) -> SeamlessResult:
        """Keep the door's answer to `result` in this unit of work, before its commit."""
        if request is not None:
            kept = KeptAnswer(
                request.door,
                request.request_id,
                request.body_hash,
                request.render(result),
                self._clock.now(),
            )
            if not await uow.kept_answers.add(kept):
                raise AnswerKeptElsewhere(request.request_id)
        return result

    async def _bankroll(self, uow: UnitOfWork, player_id: int, currency: Currency) -> int:
        return await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, currency, player_id
        )

    @staticmethod
    async def _balance(uow: UnitOfWork, player_id: int, currency: Currency) -> Money:
        wallet = await uow.accounts.wallet(player_id, currency)
        return Money(wallet.balance if wallet is not None else 0, currency)

    @staticmethod
    async def _post(uow: UnitOfWork, transaction: Transaction) -> PostedTransaction:
        posted = await uow.ledger.post(transaction)
        if posted.replayed or posted.id != transaction.id:
            # The key is written only together with its provider record, which did not exist.
            raise IdempotencyConflict(
                f"ledger key {transaction.idempotency_key} was already used by another operation"
            )
        uow.raise_events(TransactionPosted(posted))
        return posted

    @staticmethod
    def _replay(
        record: ProviderTransaction, balance: Money, ledger_id: uuid.UUID | None
    ) -> SeamlessResult:
        return SeamlessResult(record.transaction_id, balance, True, ledger_id)

    async def _lock_round(
        self,
        uow: UnitOfWork,
        command: SeamlessDebitCommand | SeamlessCreditCommand,
        now: datetime,
    ) -> SeamlessRound:
        """The call's round, locked (made on its first call), and the player's and currency's
        own."""
        currency = command.amount.currency
        round_ = await uow.provider_transactions.lock_round(
            command.provider,
            command.round_id,
            player_id=command.player_id,
            currency=currency,
            now=now,
        )
        round_.require_owner(command.player_id, currency)
        return round_

    async def _claim(
        self,
        uow: UnitOfWork,
        kind: ProviderTransactionKind,
        command: SeamlessDebitCommand | SeamlessCreditCommand,
        now: datetime,
    ) -> ProviderTransaction:
        """The call's record, stored under its transaction id; `LostRace` when a twin
        committed that id first."""
        make = (
            ProviderTransaction.debit
            if kind is ProviderTransactionKind.DEBIT
            else ProviderTransaction.credit
        )
        record = make(
            provider=command.provider,
            transaction_id=command.transaction_id,
            player_id=command.player_id,
            round_id=command.round_id,
            amount=command.amount,
            at=now,
            ledger_transaction_id=self._ids.new_id(),
            game_id=command.game_id,
        )
        if not await uow.provider_transactions.add(record):
            raise LostRace
        return record

    async def _replayed_movement(
        self,
        uow: UnitOfWork,
        kind: ProviderTransactionKind,
        command: SeamlessDebitCommand | SeamlessCreditCommand,
    ) -> SeamlessResult | None:
        """The first answer to a debit or credit whose transaction id was seen before (the same
        movement, or `IdempotencyConflict`); None for a new one. Asked before anything else,
        so a repeat is answered whatever changed since (the player's standing among it)."""
        existing = await uow.provider_transactions.find(command.provider, command.transaction_id)
        if existing is None:
            return None
        existing.require_same_movement(kind, command.player_id, command.amount, command.round_id)
        balance = await self._balance(uow, command.player_id, command.amount.currency)
        return self._replay(existing, balance, existing.ledger_transaction_id)


def check_movement(
    provider: str, player_id: int, transaction_id: str, round_id: str, game_id: str
) -> None:
    validate_provider(provider)
    validate_player_id(player_id)
    validate_external_id(transaction_id, "transaction id")
    validate_external_id(round_id, "round id")
    validate_external_id(game_id, "game id", required=False)
