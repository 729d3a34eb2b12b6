"""What the player sees of their bonuses: each active one with its progress, and how much each
game counts toward it. Nothing at all for a player the standing refuses promotions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from application.bonuses.ending import may_receive_promotions, wagering_progress
from application.ports import Clock, UnitOfWorkFactory
from domain.bonuses import Bonus, WageringProgress
from domain.free_bets import FreeBetState

# A player holds at most one active bonus per currency: a handful of rows.
ACTIVE_SHOWN = 20


@dataclass(frozen=True, slots=True)
class BonusStatus:
    bonus: Bonus
    progress: WageringProgress
    now: datetime

    @property
    def claimable(self) -> bool:
        """Wagering met and still in time: the player may claim it."""
        return self.bonus.active and self.progress.met and not self.bonus.expired_at(self.now)


@dataclass(frozen=True, slots=True)
class BonusOverview:
    bonuses: tuple[BonusStatus, ...]
    contributions: Mapping[str, int]  # game code -> per cent of a stake that counts


class PlayerBonuses:
    """The player's active bonuses with their progress; None (show nothing, not even that
    there is nothing) when their standing refuses promotions now."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int) -> BonusOverview | None:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await may_receive_promotions(uow, player_id, now):
                return None
            mine = await uow.bonuses.of_player(player_id, limit=ACTIVE_SHOWN)
            statuses = tuple(
                [
                    BonusStatus(b, await wagering_progress(uow, b, now), now)
                    for b in mine
                    if b.active
                ]
            )
            games = await uow.games.all()
        contributions = {g.code: g.contribution_pct for g in games if g.enabled}
        return BonusOverview(statuses, contributions)

    async def any_active(self, player_id: int) -> bool:
        """Whether the menu shows the bonus entry: an active bonus or a free bet to play
        (docs/bonuses.md, "Free bets"), and a standing that allows promotions. Reads no bets
        (the menu is drawn often)."""
        now = self._clock.now()
        async with self._uow() as uow:
            if not await may_receive_promotions(uow, player_id, now):
                return False
            if any(b.active for b in await uow.bonuses.of_player(player_id, limit=ACTIVE_SHOWN)):
                return True
            return any(
                fb.state is FreeBetState.GRANTED and now < fb.expires_at
                for fb in await uow.free_bets.of_player(player_id, limit=ACTIVE_SHOWN)
            )
