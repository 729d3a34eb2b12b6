"""Staff log in with a password and, when enrolled, a one-time code; a session token comes back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from application.ports import (
    Clock,
    LoginThrottle,
    OneTimeCodes,
    PasswordHasher,
    TokenCodec,
    UnitOfWorkFactory,
)
from application.staff.totp import code_is_fresh
from domain.errors import RateLimited, Unauthenticated
from domain.staff import AuditAction, AuditEntry, StaffMember

# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and timing does not reveal which accounts exist. Hashed once per process: hashing it
# on every unknown name made those answers take twice as long as a wrong password's.
DUMMY_PASSWORD = "not-a-real-password-" + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Session:
    member: StaffMember
    token: str
    expires_at: datetime


class Login:
    """Exchange a username, password (and TOTP code when enabled) for a short-lived token.

    Attempts are counted before the password is checked (`LoginThrottle.admit`, atomic) and
    logged as significant events when they fail; every failure gives the same answer, and
    costs the same one hash verification, whatever was wrong."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        hasher: PasswordHasher,
        tokens: TokenCodec,
        throttle: LoginThrottle,
        codes: OneTimeCodes,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher
        self._tokens = tokens
        self._throttle = throttle
        self._codes = codes
        self._dummy_hash: str | None = None

    async def __call__(
        self, username: str, password: str, totp_code: str | None, source: str
    ) -> Session:
        account = username.strip().lower()[:100]
        if self._dummy_hash is None:  # before the throttle: every attempt after costs the same
            self._dummy_hash = await self._hasher.hash(DUMMY_PASSWORD)
        if not await self._throttle.admit(account, source):
            await self._record(AuditAction.LOGIN_FAILED, account, source, "rate limited")
            raise RateLimited("too many failed logins; wait a few minutes and try again")
        async with self._uow() as uow:
            found = await uow.staff.credentials(account)
        if found is None:
            await self._hasher.verify(self._dummy_hash, password)
            return await self._fail(account, source, "unknown account")
        member, password_hash, totp_secret = found
        if not await self._hasher.verify(password_hash, password) or member.disabled:
            return await self._fail(account, source, "wrong password or disabled")
        if totp_secret is not None:
            async with self._uow() as uow:
                fresh = await code_is_fresh(
                    uow, self._codes, member.id, totp_secret, totp_code, self._clock
                )
                await uow.commit()
            if not fresh:
                return await self._fail(account, source, "wrong, used or missing one-time code")
        await self._throttle.succeeded(account, source)
        token, expires = self._tokens.issue(member, self._clock.now())
        await self._record(AuditAction.LOGIN, account, source, "")
        return Session(member, token, expires)

    async def _fail(self, account: str, source: str, why: str) -> Session:
        await self._record(AuditAction.LOGIN_FAILED, account, source, why)
        raise Unauthenticated("wrong username, password or one-time code")

    async def _record(self, action: AuditAction, account: str, source: str, why: str) -> None:
        async with self._uow() as uow:
            await uow.audit.record(
                AuditEntry(
                    action,
                    self._clock.now(),
                    f"staff:{account}" if action is AuditAction.LOGIN else "anonymous",
                    f"staff:{account}",
                    source,
                    after={"reason": why} if why else None,
                )
            )
            await uow.commit()
