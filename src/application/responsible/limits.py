"""Deposit, loss and wager limits: set, remove, and confirm a raise after its wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.notices.limit_reminders import remind_when_confirmable
from application.responsible.changes import PlayerChange, audit_change, limit_facts
from domain.errors import NotFound
from domain.money import Currency, Money
from domain.responsible import LimitKind, LimitPeriod, PlayerLimit
from domain.staff import AuditAction


@dataclass(frozen=True, slots=True)
class LimitChange:
    """The limit after a request: `applied` when the change is in force now; otherwise it
    waits (see `limit.pending`) to be confirmed from `confirmable_at`."""

    limit: PlayerLimit
    applied: bool

    @property
    def confirmable_at(self) -> datetime | None:
        return None if self.limit.pending is None else self.limit.pending.confirmable_at


class SetLimit(PlayerChange):
    """Set a deposit, loss or wager limit over 24 hours, 7 days or 30 days in one currency. A
    new or lower limit applies at once (and cancels a pending raise); a higher one waits for
    a 24-hour cooling-off and the player's confirmation (`ConfirmLimitIncrease`)."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, amount: Money
    ) -> LimitChange:
        amount.require_positive()
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, amount.currency)
            if current is None:
                changed = PlayerLimit.new(player_id, kind, period, amount, now)
            else:
                changed = current.change_to(amount, now)
            applied = changed.pending is None
            action = AuditAction.LIMIT_SET if applied else AuditAction.LIMIT_INCREASE_REQUESTED
            await uow.responsible.save_limit(changed)
            await remind_when_confirmable(uow, changed)  # issue 23: a raise's cooling-off
            await audit_change(
                uow, action, player_id, now, limit_facts(current), limit_facts(changed)
            )
            await uow.commit()
        return LimitChange(changed, applied)


class RemoveLimit(PlayerChange):
    """Ask to remove a limit. Like a raise, it waits for the cooling-off and a confirmation;
    the limit applies in full until then."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> LimitChange:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, currency)
            if current is None:
                raise NotFound(f"you have no {period.label} {kind.label} limit in {currency.code}")
            changed = current.request_removal(now)
            await uow.responsible.save_limit(changed)
            await remind_when_confirmable(uow, changed)  # issue 23: its cooling-off
            await audit_change(
                uow,
                AuditAction.LIMIT_REMOVAL_REQUESTED,
                player_id,
                now,
                limit_facts(current),
                limit_facts(changed),
            )
            await uow.commit()
        return LimitChange(changed, applied=False)


class ConfirmLimitIncrease(PlayerChange):
    """Confirm a pending raise or removal once its 24-hour cooling-off has passed. Before
    that it is refused (`ResponsibleGamblingRefusal`, rule "cooling_off", `until` = when it
    can be confirmed) and the old limit keeps applying. Returns the limit in force after it,
    or None when the limit is gone."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> PlayerLimit | None:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, currency)
            if current is None:
                raise NotFound(f"you have no {period.label} {kind.label} limit in {currency.code}")
            confirmed = current.confirm(now)
            if confirmed is None:
                await uow.responsible.delete_limit(player_id, kind, period, currency)
                action = AuditAction.LIMIT_REMOVED
            else:
                await uow.responsible.save_limit(confirmed)
                action = AuditAction.LIMIT_INCREASE_CONFIRMED
            await audit_change(
                uow, action, player_id, now, limit_facts(current), limit_facts(confirmed)
            )
            await uow.commit()
        return confirmed
