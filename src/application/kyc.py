"""Know your customer: staff record how far a player's identity is verified. The withdrawal
rules read it (through the player's standing) to ask for `verified` above a threshold."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, UnitOfWorkFactory
from application.staff import Actor
from domain.players import KycStatus
from domain.staff import AuditAction, AuditEntry


@dataclass(frozen=True, slots=True)
class KycChange:
    player_id: int
    status: KycStatus
    previous: KycStatus


class SetKycStatus:
    """Staff record how far a player's identity is verified; audited with before and after.
    Setting the status the player already has changes (and records) nothing."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, status: KycStatus, actor: Actor) -> KycChange:
        async with self._uow() as uow:
            previous = await uow.players.set_kyc_status(player_id, status)
            if previous is status:
                return KycChange(player_id, status, previous)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.KYC_STATUS_SET,
                    self._clock.now(),
                    actor.label,
                    f"player:{player_id}",
                    actor.source,
                    before={"kyc_status": previous.value},
                    after={"kyc_status": status.value},
                )
            )
            await uow.commit()
        return KycChange(player_id, status, previous)
