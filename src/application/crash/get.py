"""What a player (or anyone) sees of crash: the current round and, for a player, their seat."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import UnitOfWorkFactory
from domain.crash_rounds import CrashChain, CrashRound, CrashSeat
from domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class RoundView:
    round: CrashRound
    chain: CrashChain
    seats: tuple[CrashSeat, ...]  # the asking player's, if any


class GetRound:
    """A round by id, or the newest one; its hash and crash point only once crashed (the
    round row holds them only then)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self, round_id: int | None = None, player_id: int | None = None
    ) -> RoundView:
        async with self._uow() as uow:
            round_ = await (uow.crash.latest() if round_id is None else uow.crash.find(round_id))
            if round_ is None:
                raise NotFound("there is no such crash round" if round_id else "no crash round yet")
            chain = await uow.crash.chain(round_.chain_id)
            assert chain is not None
            seats: tuple[CrashSeat, ...] = ()
            if player_id is not None:
                seats = tuple(await uow.crash.seats(round_.id, player_id=player_id))
        return RoundView(round_, chain, seats)
