"""Whether a due notice may still go, decided when it is sent, not only when it was raised:
the player may have turned its topic off since, a promotional one (or one inviting more play,
a limit's raise to confirm) must not reach a player the standing now refuses
`Operation.PROMOTION` (blocked, timed out, self-excluded, unconfirmed), and a reminder is
pointless once what it reminds of is over (the bonus ended, the pending change was dropped or
confirmed), and a big win's post waits out its player's cooldown and goes nowhere once the
feed is off."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.notices.big_wins import BigWinFeed, in_cooldown
from application.notices.limit_reminders import still_pending
from application.ports.unit_of_work import UnitOfWork
from application.responsible.guard import ALWAYS_GUARDED
from domain.big_wins import BIG_WIN
from domain.bonuses import BonusState
from domain.errors import NotFound
from domain.notices import Notice
from domain.notifications import BONUS_EXPIRING, LIMIT_CONFIRMABLE, invites_play


async def may_send(
    uow: UnitOfWork, notice: Notice, now: datetime, feed: BigWinFeed | None = None
) -> bool:
    """`feed`: the big-wins feed as configured now (None: off)."""
    if not (await uow.notice_choices.of(notice.player_id)).allows(notice.kind):
        return False
    if notice.kind == BIG_WIN and (feed is None or not feed.on):
        return False
    if invites_play(notice.kind) and await _refuses_promotion(uow, notice.player_id, now):
        return False
    if notice.kind == BIG_WIN and feed is not None:
        return not await in_cooldown(uow, notice.player_id, feed.rules, now)
    if notice.kind == BONUS_EXPIRING:
        return await _bonus_still_runs(uow, str(notice.data.get("bonus_id")), now)
    if notice.kind == LIMIT_CONFIRMABLE:
        return await still_pending(uow, notice)
    return True


async def _refuses_promotion(uow: UnitOfWork, player_id: int, now: datetime) -> bool:
    """`require_promotable`'s one reading (`ResponsibleGamblingGuard.promotion_refusal`), as
    a yes or no. The guard's module is imported by itself: nothing it imports comes back
    here."""
    standing = await uow.players.standing(player_id)
    return await ALWAYS_GUARDED.promotion_refusal(uow, standing, now) is not None


async def _bonus_still_runs(uow: UnitOfWork, bonus_id: str, now: datetime) -> bool:
    try:
        bonus = await uow.bonuses.get(uuid.UUID(bonus_id))
    except (NotFound, ValueError):
        return False
    return bonus.state is BonusState.ACTIVE and bonus.expires_at > now
