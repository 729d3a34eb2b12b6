"""What the player sees of their free bets: those they may play, and the latest played.
Nothing at all for a player the standing refuses promotions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.bonuses.ending import may_receive_promotions
from application.ports import Clock, UnitOfWorkFactory
from domain.free_bets import FreeBet, FreeBetState

SHOWN = 20


@dataclass(frozen=True, slots=True)
class FreeBetOverview:
    playable: tuple[FreeBet, ...]  # granted and still in time, soonest expiry first
    played: tuple[FreeBet, ...]  # the latest played, newest first
    now: datetime


class PlayerFreeBets:
    """The player's free bets; None (show nothing, not even that there is nothing) when
    their standing refuses promotions now."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int) -> FreeBetOverview | None:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await may_receive_promotions(uow, player_id, now):
                return None
            mine = await uow.free_bets.of_player(player_id, limit=SHOWN)
        playable = tuple(
            fb for fb in mine if fb.state is FreeBetState.GRANTED and now < fb.expires_at
        )
        played = tuple(fb for fb in mine if fb.state is FreeBetState.PLAYED)
        return FreeBetOverview(playable, played, now)
