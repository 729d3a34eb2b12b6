"""Promotion postings for the reports' and reconcile's tests, made the one way the books
allow (the budget spent, then `domain.promotions`' journal entries posted through the ledger
in one unit of work), on the fakes or on PostgreSQL alike. The programmes' own use cases
(bonuses, campaigns, rakeback) are other parts' and are not needed to fill the books."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from application.ports import IdGenerator, UnitOfWorkFactory
from application.promotions.paying import pay_promotion
from domain.accounts import AccountKind, house_shard_for
from domain.events import transactions_posted
from domain.ledger import PostedTransaction
from domain.money import Money
from domain.promotions import (
    Programme,
    bonus_conversion,
    bonus_forfeit,
    bonus_grant,
)


@dataclass(frozen=True)
class PromotionPostings:
    uow: UnitOfWorkFactory
    ids: IdGenerator
    shards: int = 4

    async def budget(self, code: str, total: Money) -> None:
        async with self.uow() as uow:
            await uow.budgets.open(code, total)
            await uow.commit()

    async def _promotions(self, uow, player_id: int, amount: Money) -> int:
        return await uow.accounts.house_account_id(
            AccountKind.PROMOTIONS, amount.currency, house_shard_for(player_id, self.shards)
        )

    async def grant(
        self, player_id: int, amount: Money, budget: str, at: datetime
    ) -> tuple[uuid.UUID, PostedTransaction]:
        """A new bonus of `amount` for the player, spent from `budget`: its id and posting."""
        bonus_id = uuid.uuid4()
        async with self.uow() as uow:
            await uow.budgets.spend(budget, amount)
            account = await uow.accounts.open_bonus_account(player_id, amount.currency)
            posted = await uow.ledger.post(
                bonus_grant(
                    self.ids.new_id(),
                    bonus_id,
                    promotions=await self._promotions(uow, player_id, amount),
                    bonus_account=account.id,
                    amount=amount,
                    budget=budget,
                    at=at,
                    metadata={"player_id": player_id},
                )
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return bonus_id, posted

    async def convert(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime
    ) -> PostedTransaction:
        async with self.uow() as uow:
            account = await uow.accounts.open_bonus_account(player_id, amount.currency)
            wallet = await uow.accounts.open_wallet(player_id, amount.currency)
            posted = await uow.ledger.post(
                bonus_conversion(
                    self.ids.new_id(),
                    bonus_id,
                    bonus_account=account.id,
                    wallet=wallet.id,
                    amount=amount,
                    at=at,
                )
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted

    async def forfeit(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime
    ) -> PostedTransaction:
        async with self.uow() as uow:
            account = await uow.accounts.open_bonus_account(player_id, amount.currency)
            posted = await uow.ledger.post(
                bonus_forfeit(
                    self.ids.new_id(),
                    bonus_id,
                    bonus_account=account.id,
                    promotions=await self._promotions(uow, player_id, amount),
                    amount=amount,
                    why="expired",
                    at=at,
                )
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted

    async def pay(
        self,
        player_id: int,
        amount: Money,
        programme: Programme,
        budget: str,
        at: datetime,
        key: str | None = None,
    ) -> PostedTransaction:
        """Promotion cash into the wallet, on the one road (`pay_promotion`, which leaves the
        posting's event to its caller)."""
        async with self.uow() as uow:
            posted = await pay_promotion(
                uow,
                self.ids,
                player_id=player_id,
                amount=amount,
                programme=programme,
                budget=budget,
                key=key or str(uuid.uuid4()),
                now=at,
                shards=self.shards,
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return posted
