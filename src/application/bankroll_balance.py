"""What the house bankroll holds: a read, apart from the funding (application/bankroll.py)."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory
from domain.accounts import AccountKind
from domain.money import Currency, Money


class GetBankrollBalance:
    """The bankroll in one currency, summed over its shards (as bets weigh it)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, currency: Currency) -> Money:
        async with self._uow() as uow:
            total = await uow.accounts.house_balance(AccountKind.HOUSE_BANKROLL, currency)
        return Money(total, currency)
