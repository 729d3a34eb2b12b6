"""What every change a player makes to their own protections shares: the player must exist,
their record is locked (`PlayerChange`), and the change is audited as theirs
("player:<id>")."""

from __future__ import annotations

from datetime import datetime

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.responsible import Exclusion, PlayerLimit, RealityCheck, ResponsibleProfile
from domain.staff import AuditAction, AuditEntry


def actor(player_id: int) -> str:
    return f"player:{player_id}"


def limit_facts(limit: PlayerLimit | None) -> dict[str, object] | None:
    if limit is None:
        return None
    pending = limit.pending
    return {
        "kind": limit.kind.value,
        "period": limit.period.value,
        "currency": limit.currency.code,
        "amount": limit.amount.amount,
        "pending": None
        if pending is None
        else {
            "amount": pending.amount,
            "requested_at": pending.requested_at.isoformat(),
            "confirmable_at": pending.confirmable_at.isoformat(),
        },
    }


def exclusion_facts(exclusion: Exclusion | None) -> dict[str, object] | None:
    if exclusion is None:
        return None
    return {
        "kind": exclusion.kind.value,
        "started_at": exclusion.started_at.isoformat(),
        "until": None if exclusion.until is None else exclusion.until.isoformat(),
    }


def reality_check_facts(check: RealityCheck | None) -> dict[str, object] | None:
    if check is None:
        return None
    return {
        "interval_minutes": check.minutes,
        "session_started_at": check.session_started_at.isoformat(),
        "acknowledged_at": check.acknowledged_at.isoformat(),
    }


async def audit_change(
    uow: UnitOfWork,
    action: AuditAction,
    player_id: int,
    now: datetime,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
) -> None:
    subject = f"player:{player_id}"
    await uow.audit.record(AuditEntry(action, now, actor(player_id), subject, "", before, after))


class PlayerChange:
    """A change to one player's settings: the player must exist, and the record is locked."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @staticmethod
    async def _enroll(uow: UnitOfWork, player_id: int, now: datetime) -> ResponsibleProfile:
        await uow.players.get(player_id)
        await uow.responsible.enroll(player_id, now)
        return await uow.responsible.profile(player_id)
