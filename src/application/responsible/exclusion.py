"""Time-outs and self-exclusion. Neither can be lifted by anyone: they end on time, and the
database refuses to shorten one."""

from __future__ import annotations

from application.responsible.changes import PlayerChange, audit_change, exclusion_facts
from domain.responsible import Exclusion, SelfExclusionPeriod, TimeoutPeriod
from domain.staff import AuditAction


class _Exclude(PlayerChange):
    async def _exclude(self, requested: Exclusion, action: AuditAction) -> Exclusion:
        now = requested.started_at
        player_id = requested.player_id
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.exclusion
            result = requested if current is None else current.extended_by(requested, now)
            await uow.responsible.save_exclusion(result)
            after = exclusion_facts(result)
            assert after is not None
            after["requested"] = exclusion_facts(requested)
            await audit_change(uow, action, player_id, now, exclusion_facts(current), after)
            await uow.commit()
        return result


class StartTimeout(_Exclude):
    """A break from gambling for 24 hours, 7 days, 30 days or 6 weeks, from now: no bets and no
    deposits. It cannot be ended early; asking again can only make the break longer. Returns
    the exclusion in force (a longer one already running is kept)."""

    async def __call__(self, player_id: int, period: TimeoutPeriod) -> Exclusion:
        requested = Exclusion.timeout(player_id, period, self._clock.now())
        return await self._exclude(requested, AuditAction.TIMEOUT_STARTED)


class SelfExclude(_Exclude):
    """Self-exclusion for 6 months, 1 year, 5 years or permanently, from now: no bets and no
    deposits. It cannot be lifted early, by the player or by staff."""

    async def __call__(self, player_id: int, period: SelfExclusionPeriod) -> Exclusion:
        requested = Exclusion.self_exclusion(player_id, period, self._clock.now())
        return await self._exclude(requested, AuditAction.SELF_EXCLUDED)
