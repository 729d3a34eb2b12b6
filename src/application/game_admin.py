"""Operators tune games: on/off, house edge, limits per currency. Every change is audited
with its before and after, in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from application.ports import Clock, UnitOfWorkFactory
from application.staff import Actor
from domain.games.catalog import GameConfig, StakeLimits
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class GameChange:
    enabled: bool | None = None
    house_edge: Fraction | None = None
    limits: Mapping[str, StakeLimits] | None = None  # replaces the limits of these currencies
    bonus_contribution_pct: int | None = None  # toward bonus wagering (docs/bonuses.md)


def describe(config: GameConfig) -> dict[str, object]:
    return {
        "enabled": config.enabled,
        "house_edge": str(config.house_edge),
        "limits": {
            code: [lim.min_stake, lim.max_stake, lim.max_payout]
            for code, lim in sorted(config.limits.items())
        },
        "bonus_contribution_pct": config.contribution_pct,
    }


class ListGames:
    """Every game with its configuration."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self) -> Sequence[GameConfig]:
        async with self._uow() as uow:
            return await uow.games.all()


class UpdateGame:
    """Apply a change to a game's configuration. The new configuration is validated by the
    domain (a house edge that pushes any bet type's RTP out of range is refused), so nothing
    invalid is ever stored."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, code: str, change: GameChange, actor: Actor) -> GameConfig:
        async with self._uow() as uow:
            current = await uow.games.get(code)
            limits = dict(current.limits)
            limits.update(change.limits or {})
            updated = GameConfig(
                code=current.code,
                enabled=current.enabled if change.enabled is None else change.enabled,
                house_edge=current.house_edge if change.house_edge is None else change.house_edge,
                limits=limits,
                bonus_contribution_pct=(
                    current.contribution_pct
                    if change.bonus_contribution_pct is None
                    else change.bonus_contribution_pct
                ),
            )
            if describe(updated) == describe(current):
                return current  # nothing changes, nothing to audit
            now = self._clock.now()
            await uow.games.save(updated, now)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.GAME_CHANGED,
                    now,
                    actor.label,
                    f"game:{code}",
                    actor.source,
                    before=describe(current),
                    after=describe(updated),
                )
            )
            await uow.commit()
        return updated
