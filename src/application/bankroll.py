"""Funding the house bankroll, which backs every win."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from domain.accounts import AccountKind
from domain.errors import InvalidRequest
from domain.ledger import PostedTransaction, Transaction, TransactionKind, transfer_legs
from domain.money import Money


@dataclass(frozen=True, slots=True)
class FundBankrollCommand:
    amount: Money
    staff_id: str
    idempotency_key: str


class FundBankroll:
    """Put operator capital into the bankroll (against the adjustments account). Bets are
    refused when the bankroll could not cover their largest win, so a new installation funds
    it before taking bets."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    async def __call__(self, command: FundBankrollCommand) -> PostedTransaction:
        if not command.staff_id.strip():
            raise InvalidRequest("funding the bankroll must name the staff member")
        currency = command.amount.currency
        async with self._uow() as uow:
            source = await uow.accounts.house_account_id(AccountKind.ADJUSTMENTS, currency, 0)
            target = await uow.accounts.house_account_id(AccountKind.HOUSE_BANKROLL, currency, 0)
            posted = await uow.ledger.post(
                Transaction(
                    id=self._ids.new_id(),
                    kind=TransactionKind.TRANSFER,
                    idempotency_key=command.idempotency_key,
                    legs=transfer_legs(source, target, command.amount),
                    created_at=self._clock.now(),
                    reference=f"staff:{command.staff_id}",
                    metadata={"purpose": "bankroll funding", "staff_id": command.staff_id},
                )
            )
            await uow.commit()
        return posted
