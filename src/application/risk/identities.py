"""Payment identities: each deposit's payer is recorded, so that one shared by several
players raises a flag."""

from __future__ import annotations

from application.ports import Clock, UnitOfWorkFactory
from application.risk.review import RiskReview
from domain.risk import PaymentIdentityKind, RiskFlag


class RecordPaymentIdentity:
    """Record a payment identity a player used, in a unit of work of its own, flagging every
    account that shares it. For entrypoints that learn an identity outside a money movement;
    inside one, call `RiskReview.record_payment_identity` with that unit of work."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, review: RiskReview) -> None:
        self._uow = uow
        self._clock = clock
        self._review = review

    async def __call__(
        self, player_id: int, kind: PaymentIdentityKind, identity: str
    ) -> list[RiskFlag]:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            raised = await self._review.record_payment_identity(
                uow, player_id, kind, identity, self._clock.now()
            )
            await uow.commit()
        return raised
