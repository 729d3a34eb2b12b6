"""What the wallet postings share: a posting between a player's wallet and one house account
inside a unit of work (`WalletPoster`), and what it answers (`WalletPosting`)."""

from __future__ import annotations

from dataclasses import dataclass

from application.ledger_use_case import LedgerUseCase
from application.ports import UnitOfWork
from domain.errors import NotFound
from domain.events import transactions_posted
from domain.ledger import PostedTransaction
from domain.money import Money
from domain.postings import WalletMovement

MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class WalletPosting:
    """The outcome of a posting that touches one player wallet."""

    transaction: PostedTransaction
    wallet_id: int
    balance: Money

    @property
    def replayed(self) -> bool:
        return self.transaction.replayed


class WalletPoster(LedgerUseCase):
    """Posts one movement between a player's wallet and a house account."""

    async def _post(self, player_id: int, movement: WalletMovement) -> WalletPosting:
        async with self._uow() as uow:
            posting = await self._post_in(uow, player_id, movement)
            await uow.commit()
        return posting

    async def _post_in(
        self, uow: UnitOfWork, player_id: int, movement: WalletMovement
    ) -> WalletPosting:
        """The same posting inside a unit of work the caller commits, for use cases that
        write other state (an approval, an audit entry) in the same transaction."""
        await uow.players.get(player_id)
        currency = movement.amount.currency
        wallet = await _wallet_for_posting(uow, player_id, movement.amount)
        house = await self._house.account_for(uow.accounts, movement.house, currency, player_id)
        transaction = movement.transaction(self._ids.new_id(), wallet, house, at=self._clock.now())
        posted = await uow.ledger.post(transaction)
        uow.raise_events(*transactions_posted(posted))
        leg = posted.leg_for(wallet)
        return WalletPosting(posted, wallet, Money(leg.balance_after, currency))


async def _wallet_for_posting(uow: UnitOfWork, player_id: int, delta: Money) -> int:
    # A credit may open the wallet; a debit from a wallet that does not exist is refused
    # without creating an empty one as a side effect.
    if delta.amount > 0:
        return (await uow.accounts.open_wallet(player_id, delta.currency)).id
    wallet = await uow.accounts.wallet(player_id, delta.currency)
    if wallet is None:
        raise NotFound(f"player {player_id} has no {delta.currency.code} wallet")
    return wallet.id
