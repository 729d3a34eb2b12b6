"""Asking a signed-in member for their password (or a code) again, before a change to their
credentials: counted by the login throttle like a login, so a stolen session cannot guess the
password, or a one-time code, without limit through these routes instead."""

from __future__ import annotations

from application.ports import LoginThrottle, PasswordHasher, UnitOfWorkFactory
from domain.errors import NotFound, RateLimited, Unauthenticated
from domain.staff import StaffMember


async def admit(throttle: LoginThrottle, member: StaffMember, source: str) -> None:
    """Count one credential check for `member` from `source`, or refuse: too many."""
    if not await throttle.admit(member.username, source):
        raise RateLimited("too many failed attempts; wait a few minutes and try again")


async def confirm_password(
    uow: UnitOfWorkFactory,
    hasher: PasswordHasher,
    throttle: LoginThrottle,
    member: StaffMember,
    password: str,
    source: str,
) -> str | None:
    """Check `member`'s current password (throttled); their confirmed TOTP secret, if any."""
    await admit(throttle, member, source)
    async with uow() as tx:
        found = await tx.staff.credentials(member.username)
    if found is None:
        raise NotFound(f"no staff member {member.username}")
    if not await hasher.verify(found[1], password):
        raise Unauthenticated("the current password is wrong")
    return found[2]
