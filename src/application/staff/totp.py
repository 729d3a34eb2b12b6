"""The TOTP second factor: enrolling (a new secret, pending), confirming it with a first code,
and checking a code once only.

Enrolment asks for the current password, and the current code when a confirmed secret is in
force: a stolen session alone can neither turn the factor on for the thief nor swap the
owner's secret. The new secret replaces nothing until a code from it confirms it (a mistyped
secret never locks the owner out), and confirming revokes the account's staff API keys: keys
issued before the factor was (re)set are not trusted to have passed it."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import (
    Clock,
    LoginThrottle,
    OneTimeCodes,
    PasswordHasher,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.staff.actor import Actor
from application.staff.reauth import confirm_password
from application.staff.revocation import revoke_keys_audited
from domain.errors import InvalidRequest, Unauthenticated
from domain.staff import AuditAction, AuditEntry, StaffMember


async def code_is_fresh(
    uow: UnitOfWork, codes: OneTimeCodes, staff_id: int, secret: str, code: str | None, clock: Clock
) -> bool:
    """Whether `code` is a current code of `secret` not used before; if so, it is now used
    (inside the caller's unit of work, which must commit)."""
    step = codes.step(secret, code or "", clock.now())
    return step is not None and await uow.staff.use_totp_step(staff_id, step)


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str
    provisioning_uri: str


class EnableTotp:
    """Start (re-)enrolment: a new secret for `member`, pending until `ConfirmTotp`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        codes: OneTimeCodes,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._codes = codes
        self._hasher = hasher
        self._throttle = throttle

    async def __call__(
        self, member: StaffMember, password: str, code: str | None, actor: Actor
    ) -> TotpEnrolment:
        current = await confirm_password(
            self._uow, self._hasher, self._throttle, member, password, actor.source
        )
        secret = self._codes.new_secret()
        async with self._uow() as uow:
            if current is not None and not await code_is_fresh(
                uow, self._codes, member.id, current, code, self._clock
            ):
                raise Unauthenticated("a new secret needs a current one-time code from the old one")
            await uow.staff.set_pending_totp_secret(member.id, secret)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.TOTP_ENROLMENT_STARTED,
                    self._clock.now(),
                    actor.label,
                    f"staff:{member.username}",
                    actor.source,
                )
            )
            await uow.commit()
        await self._throttle.succeeded(member.username, actor.source)  # the attempt back
        return TotpEnrolment(secret, self._codes.provisioning_uri(secret, member.username))


class ConfirmTotp:
    """A first code from the pending secret makes it the one in force; the account's staff API
    keys are revoked (issue new ones, with a code)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, codes: OneTimeCodes) -> None:
        self._uow = uow
        self._clock = clock
        self._codes = codes

    async def __call__(self, member: StaffMember, code: str, actor: Actor) -> StaffMember:
        now = self._clock.now()
        async with self._uow() as uow:
            pending = await uow.staff.pending_totp_secret(member.id)
            if pending is None:
                raise InvalidRequest("no new secret waits for a code; start with POST /auth/totp")
            step = self._codes.step(pending, code, now)
            if step is None or not await uow.staff.confirm_totp(member.id, step):
                raise InvalidRequest("that is not a current code of the new secret")
            await revoke_keys_audited(uow, member, AuditAction.TOTP_ENABLED, actor, now)
            confirmed = await uow.staff.get(member.id)
            await uow.commit()
        return confirmed
