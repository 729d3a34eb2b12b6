"""Ending a staff member's keys when a credential changes (a new password, a new second
factor, disabling the account), audited in the same unit of work."""

from __future__ import annotations

from datetime import datetime

from application.ports import UnitOfWork
from application.staff.actor import Actor
from domain.staff import AuditAction, AuditEntry, StaffMember


async def revoke_keys_audited(
    uow: UnitOfWork, member: StaffMember, action: AuditAction, actor: Actor, now: datetime
) -> int:
    """Revoke every key of `member` and audit `action` saying how many went: a change of
    credential (a new password, a new second factor, disabling the account) ends the keys
    made under the old one. The caller commits."""
    revoked = await uow.staff.revoke_keys_of(member.id, now)
    await uow.audit.record(
        AuditEntry(
            action,
            now,
            actor.label,
            f"staff:{member.username}",
            actor.source,
            after={"keys_revoked": revoked},
        )
    )
    return revoked
