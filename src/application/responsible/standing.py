"""Whether the player's standing refuses an operation now, read for a screen: the games list and
the deposit screen show a time-out, a self-exclusion, a block or the missing 18+ confirmation
before the player taps their way to the last button. The operation's own use case decides
again, under the player's lock, when money would move."""

from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from domain.errors import DomainError
from domain.standing import Operation


class CheckStanding:
    """The refusal `domain.standing.PlayerStanding.refusal` gives for `operation` now, with the
    player's exclusion read (the standing the bot's middleware hands over has none), or None
    when the operation is allowed. `NotFound` for an unknown player."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, operation: Operation) -> DomainError | None:
        async with self._uow() as uow:
            standing = await uow.players.standing(player_id)
            profile = await uow.responsible.profile(player_id)
        return standing.with_exclusion(profile.exclusion).refusal(operation, self._clock.now())
