"""The collusion watch: after a duel settles, in its unit of work, the two players' duels over
the policy's window are counted and a risk flag raised on the player who received when they
look like chip dumping (domain/duels_collusion.py; one open flag per player and kind, so a
pair that keeps going adds none while staff look). A lobby played by two seats is watched the
same way, and counted with their duels."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from application.risk.review import RiskReview
from domain.duel_lobbies import Lobby
from domain.duels import Duel
from domain.duels_collusion import CollusionPolicy, collusion_finding
from domain.risk import RiskFlag


class CollusionWatch:
    def __init__(self, review: RiskReview, policy: CollusionPolicy | None = None) -> None:
        self._review = review
        self._policy = policy or CollusionPolicy()

    async def after_settled(self, uow: UnitOfWork, duel: Duel, now: datetime) -> RiskFlag | None:
        return await self._pair(
            uow, duel.challenger_id, duel.challenged_id, {"duel_id": str(duel.id)}, now
        )

    async def after_lobby_settled(
        self, uow: UnitOfWork, lobby: Lobby, now: datetime
    ) -> RiskFlag | None:
        """A lobby played by two seats is a duel in all but name: the same watch. One of more
        seats is not a coin toss between two players; it is not watched (docs/duels.md)."""
        seated = lobby.players
        if len(seated) != 2:
            return None
        return await self._pair(uow, seated[0], seated[1], {"lobby_id": str(lobby.id)}, now)

    async def _pair(
        self, uow: UnitOfWork, a: int, b: int, where: dict[str, str], now: datetime
    ) -> RiskFlag | None:
        record = await uow.duels.pair_record(a, b, now - self._policy.window)
        finding = collusion_finding(record, self._policy)
        if finding is None:
            return None
        player_id, evidence = finding
        return await self._review.on_duel_collusion(uow, player_id, {**evidence, **where}, now)
