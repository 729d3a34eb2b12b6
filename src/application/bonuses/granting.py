"""Granting a bonus: the one road every bonus takes into a player's bonus account, inside the
caller's unit of work (a campaign, a promo code, a deposit match, staff)."""

from __future__ import annotations

from datetime import datetime

from application.ports.clock_ids import IdGenerator
from application.ports.unit_of_work import UnitOfWork
from application.promotions.paying import require_promotable
from domain.accounts import AccountKind, house_shard_for
from domain.bonuses import Bonus, BonusActive, BonusOffer, validate_bonus_key
from domain.errors import IdempotencyConflict
from domain.events import BonusGranted, transactions_posted
from domain.promotions import bonus_grant


def _same_grant(bonus: Bonus, player_id: int, offer: BonusOffer) -> bool:
    return (
        bonus.player_id == player_id
        and bonus.amount == offer.amount
        and bonus.wagering_required == offer.wagering_required
        and bonus.max_stake == offer.max_stake
        and bonus.campaign == offer.campaign
        and bonus.budget == offer.budget
    )


async def grant_bonus(
    uow: UnitOfWork,
    ids: IdGenerator,
    *,
    player_id: int,
    offer: BonusOffer,
    key: str,
    now: datetime,
    shards: int,
) -> Bonus:
    """Inside the caller's unit of work: require_promotable, one active bonus per player and
    currency (else `BonusActive`), budget spend, bonus row, bonus_grant posting, event
    `bonus.granted`. `key` is the caller's idempotency key (e.g. "promo:{code}:{player}",
    "deposit-match:{charge}"): a repeat returns the first bonus and spends nothing; the same
    key with another player or other terms is an `IdempotencyConflict`."""
    validate_bonus_key(key)
    # The player's lock first: two grants for one player are checked one after the other
    # (the partial unique index would refuse the second anyway, with a less useful error).
    await uow.bonuses.lock_player(player_id)
    first = await uow.bonuses.by_key(key)
    if first is not None:
        if not _same_grant(first, player_id, offer):
            raise IdempotencyConflict(f"bonus key {key!r} already granted a different bonus")
        return first
    await require_promotable(uow, player_id, now)
    active = await uow.bonuses.active_of(player_id, offer.currency)
    if active is not None:
        raise BonusActive(
            f"the player already has an active bonus of {active.amount}; one at a time per currency"
        )
    await uow.budgets.spend(offer.budget, offer.amount)
    bonus_account = await uow.accounts.open_bonus_account(player_id, offer.currency)
    promotions = await uow.accounts.house_account_id(
        AccountKind.PROMOTIONS, offer.currency, house_shard_for(player_id, shards)
    )
    bonus_id = ids.new_id()
    posted = await uow.ledger.post(
        bonus_grant(
            ids.new_id(),
            bonus_id,
            promotions=promotions,
            bonus_account=bonus_account.id,
            amount=offer.amount,
            budget=offer.budget,
            at=now,
            metadata={"player_id": player_id, "campaign": offer.campaign, "key": key},
        )
    )
    bonus = Bonus.granted(
        bonus_id, player_id=player_id, key=key, offer=offer, now=now, transaction_id=posted.id
    )
    await uow.bonuses.add(bonus)
    uow.raise_events(*transactions_posted(posted), BonusGranted(bonus))
    return bonus
