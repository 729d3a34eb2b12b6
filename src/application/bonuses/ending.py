"""The end of a bonus inside the caller's unit of work, on its locked row: the domain decides
the step (converted, forfeited, expired), this module posts its one movement, saves the row
and raises the events. Every end of every bonus goes through `end_bonus`."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.ports.clock_ids import IdGenerator
from application.ports.unit_of_work import UnitOfWork
from domain.accounts import AccountKind, house_shard_for
from domain.bonuses import Bonus, BonusState, ForfeitReason, WageringProgress
from domain.errors import NotFound
from domain.events import BONUS_EVENTS, transactions_posted
from domain.ledger import MetadataValue, Transaction
from domain.promotions import bonus_conversion, bonus_forfeit
from domain.standing import Operation


async def wagering_progress(uow: UnitOfWork, bonus: Bonus, now: datetime) -> WageringProgress:
    """The bonus's progress: settled bets from its grant until now (or its expiry)."""
    return bonus.progress(await uow.bonuses.weighted_wagering(bonus, bonus.wagering_until(now)))


async def _movement(
    uow: UnitOfWork, ended: Bonus, transaction_id: uuid.UUID, shards: int
) -> Transaction:
    player, currency = ended.player_id, ended.currency
    bonus_account = await uow.accounts.open_bonus_account(player, currency)
    metadata: dict[str, MetadataValue] = {"player_id": player, "campaign": ended.campaign}
    if ended.state is BonusState.CONVERTED:
        wallet = await uow.accounts.open_wallet(player, currency)
        return bonus_conversion(
            transaction_id,
            ended.id,
            bonus_account=bonus_account.id,
            wallet=wallet.id,
            amount=ended.amount,
            at=ended.granted_at if ended.ended_at is None else ended.ended_at,
            metadata=metadata,
        )
    assert ended.forfeit_reason is not None, "a forfeited or expired bonus says why"
    promotions = await uow.accounts.house_account_id(
        AccountKind.PROMOTIONS, currency, house_shard_for(player, shards)
    )
    return bonus_forfeit(
        transaction_id,
        ended.id,
        bonus_account=bonus_account.id,
        promotions=promotions,
        amount=ended.amount,
        why=ended.forfeit_reason.value,
        at=ended.granted_at if ended.ended_at is None else ended.ended_at,
        metadata=metadata,
    )


async def end_bonus(
    uow: UnitOfWork,
    ids: IdGenerator,
    locked: Bonus,
    reason: ForfeitReason | None,
    *,
    now: datetime,
    shards: int,
) -> Bonus:
    """End an active bonus read `for_update`: converted (`reason` None; `WageringIncomplete`
    until its wagering is met) or forfeited for `reason` (expired: only once its time is up).
    The whole bonus moves once, to the wallet for a conversion, back to promotions
    otherwise, in this unit of work."""
    transaction_id = ids.new_id()
    if reason is None:
        progress = await wagering_progress(uow, locked, now)
        ended = locked.convert(now, progress, transaction_id)
    else:
        ended = locked.forfeit(now, reason, transaction_id)
    posted = await uow.ledger.post(await _movement(uow, ended, transaction_id, shards))
    await uow.bonuses.save(ended, BonusState.ACTIVE)
    uow.raise_events(*transactions_posted(posted), BONUS_EVENTS[ended.state](ended))
    return ended


async def lock_bonus(uow: UnitOfWork, bonus_id: uuid.UUID, player_id: int | None) -> Bonus:
    """The bonus under its row lock (which serialises its conversion, forfeit and expiry).
    Another player's bonus is `NotFound`, as if it did not exist."""
    bonus = await uow.bonuses.get(bonus_id, for_update=True)
    if player_id is not None and bonus.player_id != player_id:
        raise NotFound(f"no bonus {bonus_id}")
    return bonus


async def may_receive_promotions(uow: UnitOfWork, player_id: int, now: datetime) -> bool:
    """Whether the player's standing (with their exclusion) allows promotions now: a player
    it refuses hears nothing about bonuses (docs/bonuses.md)."""
    standing = await uow.players.standing(player_id)
    exclusion = (await uow.responsible.profile(player_id)).exclusion
    return standing.with_exclusion(exclusion).refusal(Operation.PROMOTION, now) is None
