"""The collusion watch: after a duel settles, in its unit of work, the two players' duels over
the policy's window are counted and a risk flag raised on the player who received when they
look like chip dumping (domain/duels_collusion.py; one open flag per player and kind, so a
pair that keeps going adds none while staff look)."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from application.risk.review import RiskReview
from domain.duels import Duel
from domain.duels_collusion import CollusionPolicy, collusion_finding
from domain.risk import RiskFlag


class CollusionWatch:
    def __init__(self, review: RiskReview, policy: CollusionPolicy | None = None) -> None:
        self._review = review
        self._policy = policy or CollusionPolicy()

    async def after_settled(self, uow: UnitOfWork, duel: Duel, now: datetime) -> RiskFlag | None:
        since = now - self._policy.window
        record = await uow.duels.pair_record(duel.challenger_id, duel.challenged_id, since)
        finding = collusion_finding(record, self._policy)
        if finding is None:
            return None
        player_id, evidence = finding
        return await self._review.on_duel_collusion(
            uow, player_id, {**evidence, "duel_id": str(duel.id)}, now
        )
