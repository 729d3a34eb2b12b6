"""What the player sees of their protections: each limit with its use in its window, the
exclusion and the reality check; and the usage the guard checks against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, ResponsibleGamblingRepository, UnitOfWorkFactory
from domain.money import Currency, Money
from domain.responsible import (
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    PlayerLimit,
    RealityCheck,
    Usage,
    applicable_limits,
)


async def usage_by_period(
    repo: ResponsibleGamblingRepository,
    player_id: int,
    currency: Currency,
    limits: Iterable[PlayerLimit],
    now: datetime,
) -> dict[LimitPeriod, Usage]:
    """The usage of each period that one of `limits` needs, counting only their kinds."""
    kinds_by_period: dict[LimitPeriod, set[LimitKind]] = {}
    for limit in limits:
        kinds_by_period.setdefault(limit.period, set()).add(limit.kind)
    return {
        period: await repo.usage(player_id, currency, now - period.duration, frozenset(kinds))
        for period, kinds in kinds_by_period.items()
    }


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """A limit as the player sees it: what is used of it in its window and what is left
    (`remaining` may exceed the limit for a loss limit while the player is ahead)."""

    limit: PlayerLimit
    used: Money
    remaining: Money
    now: datetime

    @property
    def pending_amount(self) -> Money | None:
        return self.limit.pending_amount

    @property
    def pending_removal(self) -> bool:
        return self.limit.pending is not None and self.limit.pending.is_removal

    @property
    def confirmable_at(self) -> datetime | None:
        return None if self.limit.pending is None else self.limit.pending.confirmable_at

    @property
    def confirmable(self) -> bool:
        return self.limit.pending is not None and self.limit.pending.confirmable(self.now)


@dataclass(frozen=True, slots=True)
class ResponsibleStatus:
    player_id: int
    now: datetime
    limits: tuple[LimitStatus, ...]
    exclusion: Exclusion | None  # only while it is in force
    reality_check: RealityCheck | None

    @property
    def has_deposit_limit(self) -> bool:
        return any(s.limit.kind is LimitKind.DEPOSIT for s in self.limits)

    @property
    def reality_check_due(self) -> bool:
        return self.reality_check is not None and self.reality_check.is_due(self.now)

    @property
    def excluded(self) -> bool:
        return self.exclusion is not None

    @property
    def self_excluded(self) -> bool:
        return self.exclusion is not None and self.exclusion.kind is ExclusionKind.SELF_EXCLUSION


_KIND_ORDER = {LimitKind.DEPOSIT: 0, LimitKind.LOSS: 1, LimitKind.WAGER: 2}
_PERIOD_ORDER = {LimitPeriod.DAY: 0, LimitPeriod.WEEK: 1, LimitPeriod.MONTH: 2}


class GetResponsibleStatus:
    """Everything the player set, with what is used and left of each limit, pending changes
    and when they can be confirmed, the exclusion in force and the reality check."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int) -> ResponsibleStatus:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.players.get(player_id)
            profile = await uow.responsible.profile(player_id)
            statuses: list[LimitStatus] = []
            currencies = {lim.currency.code: lim.currency for lim in profile.limits}
            for currency in currencies.values():
                mine = applicable_limits(profile.limits, LimitKind, currency)
                usage = await usage_by_period(uow.responsible, player_id, currency, mine, now)
                for limit in mine:
                    used = limit.used(usage)
                    statuses.append(
                        LimitStatus(
                            limit,
                            Money(used, currency),
                            Money(limit.room(usage), currency),
                            now,
                        )
                    )
        statuses.sort(
            key=lambda s: (
                s.limit.currency.code,
                _KIND_ORDER[s.limit.kind],
                _PERIOD_ORDER[s.limit.period],
            )
        )
        return ResponsibleStatus(
            player_id, now, tuple(statuses), profile.active_exclusion(now), profile.reality_check
        )


class HasDepositLimit:
    """Whether the player has set any deposit limit (for the "set a limit before your first
    deposit" prompt). One small query."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.responsible.has_deposit_limit(player_id)
