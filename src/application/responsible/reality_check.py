"""Reality checks: the player sets one, and acknowledges each as it comes."""

from __future__ import annotations

from application.responsible.changes import PlayerChange, audit_change, reality_check_facts
from domain.errors import InvalidRequest
from domain.responsible import RealityCheck
from domain.staff import AuditAction


class SetRealityCheck(PlayerChange):
    """Choose the reality-check interval (15-240 minutes), or None to switch it off. A new
    check counts from now; a changed one keeps its session and last acknowledgement."""

    async def __call__(self, player_id: int, minutes: int | None) -> RealityCheck | None:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.reality_check
            changed: RealityCheck | None
            if minutes is None:
                if current is None:
                    return None  # nothing to switch off; nothing written
                changed = None
                await uow.responsible.delete_reality_check(player_id)
            else:
                if current is None:
                    changed = RealityCheck.start(player_id, minutes, now)
                else:
                    changed = current.with_interval(minutes)
                await uow.responsible.save_reality_check(changed)
            await audit_change(
                uow,
                AuditAction.REALITY_CHECK_SET,
                player_id,
                now,
                reality_check_facts(current),
                reality_check_facts(changed),
            )
            await uow.commit()
        return changed


class AcknowledgeRealityCheck(PlayerChange):
    """The player saw the reality check: bets go through again, and the next check is one
    interval from now. Acknowledging a check that is not due changes nothing (a double tap)
    and writes nothing."""

    async def __call__(self, player_id: int) -> RealityCheck:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.reality_check
            if current is None:
                raise InvalidRequest("you have no reality check set")
            acknowledged = current.acknowledge(now)
            if acknowledged == current:
                return current
            await uow.responsible.save_reality_check(acknowledged)
            await audit_change(
                uow,
                AuditAction.REALITY_CHECK_ACKNOWLEDGED,
                player_id,
                now,
                reality_check_facts(current),
                reality_check_facts(acknowledged),
            )
            await uow.commit()
        return acknowledged
