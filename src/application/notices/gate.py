"""Whether a due notice may still go, decided when it is sent, not only when it was raised:
the player may have turned its topic off since, a promotional one must not reach a player
the standing now refuses `Operation.PROMOTION` (blocked, timed out, self-excluded,
unconfirmed), and a bonus's reminder is pointless once the bonus ended."""

from __future__ import annotations

import uuid
from datetime import datetime

from application.ports.unit_of_work import UnitOfWork
from application.promotions.paying import require_promotable
from domain.bonuses import BonusState
from domain.errors import NotFound
from domain.notices import Notice
from domain.notifications import BONUS_EXPIRING, is_promotional
from domain.responsible.refusal import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal


async def may_send(uow: UnitOfWork, notice: Notice, now: datetime) -> bool:
    if not (await uow.notice_choices.of(notice.player_id)).allows(notice.kind):
        return False
    if is_promotional(notice.kind):
        try:
            await require_promotable(uow, notice.player_id, now)
        except (StandingRefusal, ResponsibleGamblingRefusal):
            return False
    if notice.kind == BONUS_EXPIRING:
        return await _bonus_still_runs(uow, str(notice.data.get("bonus_id")), now)
    return True


async def _bonus_still_runs(uow: UnitOfWork, bonus_id: str, now: datetime) -> bool:
    try:
        bonus = await uow.bonuses.get(uuid.UUID(bonus_id))
    except (NotFound, ValueError):
        return False
    return bonus.state is BonusState.ACTIVE and bonus.expires_at > now
