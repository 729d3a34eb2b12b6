"""Changing one's own password, and disabling or re-enabling a staff account: both end every
token and staff API key of the account."""

from __future__ import annotations

from application.ports import Clock, LoginThrottle, PasswordHasher, UnitOfWorkFactory
from application.staff.actor import Actor
from application.staff.reauth import confirm_password
from application.staff.revocation import revoke_keys_audited
from domain.errors import InvalidRequest, NotFound
from domain.staff import AuditAction, AuditEntry, StaffMember, validate_password


class ChangePassword:
    """A new password for `member`, given the current one. The token version goes up (every
    session ends) and the account's keys are revoked: whoever stole the old password or a
    key made with it keeps nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._throttle = throttle

    async def __call__(
        self, member: StaffMember, current: str, new: str, actor: Actor
    ) -> StaffMember:
        new = validate_password(new)
        if new == current:
            raise InvalidRequest("the new password is the current one")
        await confirm_password(
            self._uow, self._hasher, self._throttle, member, current, actor.source
        )
        new_hash = await self._hasher.hash(new)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.staff.set_password_hash(member.id, new_hash)
            await revoke_keys_audited(uow, member, AuditAction.PASSWORD_CHANGED, actor, now)
            changed = await uow.staff.get(member.id)
            await uow.commit()
        await self._throttle.succeeded(member.username, actor.source)  # the attempt back
        return changed


class SetStaffDisabled:
    """Disable a staff account (its keys are revoked) or re-enable it. Either way the token
    version goes up, so re-enabling never revives a token from before."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, username: str, disabled: bool, actor: Actor) -> StaffMember:
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.staff.credentials(username.strip().lower()[:100])
            if found is None:
                raise NotFound(f"no staff member {username[:100]!r}")
            member = await uow.staff.set_disabled(found[0].id, disabled)
            if disabled:
                await revoke_keys_audited(uow, member, AuditAction.STAFF_DISABLED, actor, now)
            else:
                subject = f"staff:{member.username}"
                await uow.audit.record(
                    AuditEntry(AuditAction.STAFF_ENABLED, now, actor.label, subject, actor.source)
                )
            await uow.commit()
        return member
