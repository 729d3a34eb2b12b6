"""A new staff account."""

from __future__ import annotations

from application.ports import Clock, PasswordHasher, UnitOfWorkFactory
from application.staff.actor import Actor
from domain.staff import (
    AuditAction,
    AuditEntry,
    Role,
    StaffMember,
    validate_password,
    validate_username,
)


class CreateStaff:
    """A new staff account. The first admin is made with `croupier admin create`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    async def __call__(self, username: str, password: str, role: Role, actor: Actor) -> StaffMember:
        username = validate_username(username)
        password_hash = await self._hasher.hash(validate_password(password))
        now = self._clock.now()
        async with self._uow() as uow:
            member = await uow.staff.add(username, password_hash, role, now)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.STAFF_CREATED,
                    now,
                    actor.label,
                    f"staff:{username}",
                    actor.source,
                    after={"role": role.value},
                )
            )
            await uow.commit()
        return member
