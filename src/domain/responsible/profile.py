"""Everything one player set (`ResponsibleProfile`), which the guard decides with at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.money import Currency
from domain.responsible.exclusion import Exclusion
from domain.responsible.limits import LimitKind, LimitPeriod, PlayerLimit
from domain.responsible.reality_check import RealityCheck


@dataclass(frozen=True, slots=True)
class ResponsibleProfile:
    """A player's limits, exclusion and reality check as stored."""

    player_id: int
    limits: tuple[PlayerLimit, ...] = field(default_factory=tuple)
    exclusion: Exclusion | None = None
    reality_check: RealityCheck | None = None

    def limit(self, kind: LimitKind, period: LimitPeriod, currency: Currency) -> PlayerLimit | None:
        key = (kind, period, currency.code)
        return next((lim for lim in self.limits if lim.key == key), None)

    def active_exclusion(self, now: datetime) -> Exclusion | None:
        if self.exclusion is not None and self.exclusion.active(now):
            return self.exclusion
        return None

    def require_not_excluded(self, now: datetime) -> None:
        if self.exclusion is not None:
            self.exclusion.require_inactive(now)

    @property
    def has_deposit_limit(self) -> bool:
        return any(lim.kind is LimitKind.DEPOSIT for lim in self.limits)
