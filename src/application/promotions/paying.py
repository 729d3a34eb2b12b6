"""The one road every promotion's money takes, inside the caller's unit of work: the player's
standing is checked (no promotion reaches a player who is blocked, unconfirmed, timed out or
self-excluded), the budget is spent, then the journal entry is posted. Programmes (rakeback,
referral commission, the daily bonus, bonus grants) differ in what they compute, never in
these checks."""

from __future__ import annotations

from datetime import datetime

from application.ports.clock_ids import IdGenerator
from application.ports.unit_of_work import UnitOfWork
from application.responsible.guard import ALWAYS_GUARDED
from domain.accounts import AccountKind, house_shard_for
from domain.events import transactions_posted
from domain.ledger import MetadataValue, PostedTransaction
from domain.money import Money
from domain.promotions import Programme, promotion_payment


async def require_promotable(uow: UnitOfWork, player_id: int, now: datetime) -> None:
    """Refuse (the standing's own error) unless the player may receive a promotion now:
    read with their exclusion, under the responsible-gambling lock."""
    standing = await uow.players.standing(player_id)
    await ALWAYS_GUARDED.check_promotion(uow, standing, now)


async def pay_promotion(
    uow: UnitOfWork,
    ids: IdGenerator,
    *,
    player_id: int,
    amount: Money,
    programme: Programme,
    budget: str,
    key: str,
    now: datetime,
    shards: int,
    metadata: dict[str, MetadataValue] | None = None,
) -> PostedTransaction:
    """Cash from the promotions account into the player's wallet. A repeat of `key` returns
    the first posting (the ledger's idempotency), spends nothing again and raises no event."""
    await require_promotable(uow, player_id, now)
    wallet = await uow.accounts.open_wallet(player_id, amount.currency)
    promotions = await uow.accounts.house_account_id(
        AccountKind.PROMOTIONS, amount.currency, house_shard_for(player_id, shards)
    )
    transaction = promotion_payment(
        ids.new_id(),
        promotions=promotions,
        wallet=wallet.id,
        amount=amount,
        programme=programme,
        budget=budget,
        key=key,
        at=now,
        metadata={"player_id": player_id, **(metadata or {})},
    )
    posted = await uow.ledger.post(transaction)
    if not posted.replayed:
        await uow.budgets.spend(budget, amount)
    # The wallet's new balance reaches the player's open screens like any other posting's.
    uow.raise_events(*transactions_posted(posted))
    return posted
