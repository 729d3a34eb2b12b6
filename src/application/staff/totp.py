"""Enrolling a staff member in one-time codes."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, OneTimeCodes, UnitOfWorkFactory
from application.staff.actor import Actor
from domain.staff import AuditAction, AuditEntry, StaffMember


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str
    provisioning_uri: str


class EnableTotp:
    """Turn on the second factor for `member`; returns the secret to load into an app."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, codes: OneTimeCodes) -> None:
        self._uow = uow
        self._clock = clock
        self._codes = codes

    async def __call__(self, member: StaffMember, actor: Actor) -> TotpEnrolment:
        secret = self._codes.new_secret()
        async with self._uow() as uow:
            await uow.staff.set_totp_secret(member.id, secret)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.TOTP_ENABLED,
                    self._clock.now(),
                    actor.label,
                    f"staff:{member.username}",
                    actor.source,
                )
            )
            await uow.commit()
        return TotpEnrolment(secret, self._codes.provisioning_uri(secret, member.username))
