"""A withdrawal while a bonus is active (docs/bonuses.md, "Withdrawals"): refused until the
player confirms that it forfeits the bonus; then the bonus is forfeited in the withdrawal's
own transaction."""

from __future__ import annotations

from datetime import datetime

from application.bonuses.ending import end_bonus, may_receive_promotions, wagering_progress
from application.ports.clock_ids import IdGenerator
from application.ports.unit_of_work import UnitOfWork
from domain.bonuses import BonusBlocksWithdrawal, ForfeitReason
from domain.money import Currency


async def settle_bonus_for_withdrawal(
    uow: UnitOfWork,
    ids: IdGenerator,
    player_id: int,
    currency: Currency,
    confirmed: bool,
    now: datetime,
    shards: int,
) -> None:
    """Inside the withdrawal's unit of work, after its own checks: nothing when no bonus is
    active in `currency`; `BonusBlocksWithdrawal` (nothing written) unless `confirmed`; else
    the bonus is forfeited (reason `withdrawal`). A bonus past its expiry is expired without a
    word, and so is the bonus of a player the standing refuses promotions (timed out,
    self-excluded, blocked): the bot may not speak of bonuses to them, and their money must
    never be stuck behind one."""
    bonus = await uow.bonuses.active_of(player_id, currency, for_update=True)
    if bonus is None:
        return
    if bonus.expired_at(now):
        reason = ForfeitReason.EXPIRED
    elif not confirmed and await may_receive_promotions(uow, player_id, now):
        progress = await wagering_progress(uow, bonus, now)
        raise BonusBlocksWithdrawal(bonus.amount, progress.wagered, progress.required)
    else:
        reason = ForfeitReason.WITHDRAWAL
    await end_bonus(uow, ids, bonus, reason, now=now, shards=shards)
