"""Funding the house bankroll, which backs every win."""

from __future__ import annotations

from dataclasses import dataclass

from application.ledger_use_case import LedgerUseCase
from domain.accounts import AccountKind
from domain.errors import InvalidRequest
from domain.events import transactions_posted
from domain.ledger import PostedTransaction
from domain.money import Money
from domain.postings import bankroll_funding


@dataclass(frozen=True, slots=True)
class FundBankrollCommand:
    amount: Money
    staff_id: str
    idempotency_key: str


class FundBankroll(LedgerUseCase):
    """Put operator capital into the bankroll (against the adjustments account). Bets are
    refused when the bankroll could not cover their largest win, so a new installation funds
    it before taking bets. The capital lands on the shards the house book keeps for the
    house's own postings; bets weigh the bankroll summed over all its shards."""

    async def __call__(self, command: FundBankrollCommand) -> PostedTransaction:
        if not command.staff_id.strip():
            raise InvalidRequest("funding the bankroll must name the staff member")
        currency = command.amount.currency
        async with self._uow() as uow:
            source = await self._house.own_account(uow.accounts, AccountKind.ADJUSTMENTS, currency)
            target = await self._house.own_account(
                uow.accounts, AccountKind.HOUSE_BANKROLL, currency
            )
            posted = await uow.ledger.post(
                bankroll_funding(
                    self._ids.new_id(),
                    source,
                    target,
                    command.amount,
                    staff_id=command.staff_id,
                    idempotency_key=command.idempotency_key,
                    at=self._clock.now(),
                )
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted
