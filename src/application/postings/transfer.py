"""A transfer between two accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from domain.errors import InvalidRequest
from domain.events import transactions_posted
from domain.ledger import MetadataValue, PostedTransaction
from domain.money import Money
from domain.postings import transfer


@dataclass(frozen=True, slots=True)
class TransferCommand:
    source_account_id: int
    target_account_id: int
    amount: Money
    idempotency_key: str
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)


class Transfer:
    """Move money between any two accounts of the same currency (funding the bankroll,
    settling a clearing account). Both accounts must exist and hold that currency."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, command: TransferCommand) -> PostedTransaction:
        async with self._uow() as uow:
            for account_id in (command.source_account_id, command.target_account_id):
                account = await uow.accounts.get(account_id)
                if account.currency != command.amount.currency:
                    raise InvalidRequest(
                        f"account {account_id} holds {account.currency.code}, "
                        f"not {command.amount.currency.code}"
                    )
            transaction = transfer(
                self._ids.new_id(),
                command.source_account_id,
                command.target_account_id,
                command.amount,
                idempotency_key=command.idempotency_key,
                reference=command.reference,
                metadata=command.metadata,
                at=self._clock.now(),
            )
            posted = await uow.ledger.post(transaction)
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted
