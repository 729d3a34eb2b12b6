"""Reading balances."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory
from domain.money import Money


class GetBalances:
    """A player's balance in every currency they have a wallet in, by currency code."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> tuple[Money, ...]:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            wallets = await uow.accounts.wallets(player_id)
        return tuple(w.money for w in wallets)
