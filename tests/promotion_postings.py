"""Promotion postings for the reports' and reconcile's tests, made on the roads the books
allow (`grant_bonus` and `end_bonus` for bonuses, `pay_promotion` for cash), on the fakes or
on PostgreSQL alike, so the books they leave reconcile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.bonuses.ending import end_bonus, lock_bonus
from application.bonuses.granting import grant_bonus
from application.ports import IdGenerator, UnitOfWorkFactory
from application.promotions.paying import pay_promotion
from domain.bonuses import BonusOffer, ForfeitReason
from domain.ledger import PostedTransaction
from domain.money import Money
from domain.promotions import Programme, bonus_conversion


@dataclass(frozen=True)
class PromotionPostings:
    uow: UnitOfWorkFactory
    ids: IdGenerator
    shards: int = 4

    async def budget(self, code: str, total: Money) -> None:
        async with self.uow() as uow:
            await uow.budgets.open(code, total)
            await uow.commit()

    async def grant(
        self, player_id: int, amount: Money, budget: str, at: datetime
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """A new bonus of `amount` for the player, spent from `budget`, through the one road
        (`grant_bonus`; nothing to wager, so it may convert at once): its id and its grant's
        transaction id. One active bonus per player and currency, as the road requires."""
        offer = BonusOffer(
            amount=amount,
            wagering_multiple=0,
            wagering_base=amount,
            expires_after=timedelta(days=30),
            max_stake=None,
            campaign="staff",
            budget=budget,
        )
        async with self.uow() as uow:
            bonus = await grant_bonus(
                uow,
                self.ids,
                player_id=player_id,
                offer=offer,
                key=f"test:{uuid.uuid4()}",
                now=at,
                shards=self.shards,
            )
            await uow.commit()
        return bonus.id, bonus.grant_transaction_id

    async def _end(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime, reason
    ) -> uuid.UUID:
        async with self.uow() as uow:
            locked = await lock_bonus(uow, bonus_id, player_id)
            if locked.amount != amount:
                raise AssertionError(f"bonus {bonus_id} holds {locked.amount}, not {amount}")
            ended = await end_bonus(uow, self.ids, locked, reason, now=at, shards=self.shards)
            await uow.commit()
        assert ended.end_transaction_id is not None
        return ended.end_transaction_id

    async def convert(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime
    ) -> uuid.UUID:
        """The whole bonus into the wallet (`end_bonus`): the conversion's transaction id."""
        return await self._end(player_id, bonus_id, amount, at, None)

    async def forfeit(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime
    ) -> uuid.UUID:
        """The whole bonus back to promotions, given up: the forfeit's transaction id."""
        return await self._end(player_id, bonus_id, amount, at, ForfeitReason.GIVEN_UP)

    async def raw_conversion(
        self, player_id: int, bonus_id: uuid.UUID, amount: Money, at: datetime
    ) -> PostedTransaction:
        """A conversion posted straight to the ledger, no bonus row changed: only for tests
        showing what the ledger itself refuses (more than the bonus account holds)."""
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
        """Promotion cash into the wallet, on the one road (`pay_promotion`, which raises the
        posting's event)."""
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
            await uow.commit()
        return posted
