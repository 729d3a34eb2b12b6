"""Staff API keys: their format, issuing one, listing and revoking them.

A key acts as its member without a password or a code each time, so issuing one asks for a
fresh one-time code when the member has the second factor; keys may expire; and they die with
the password (ChangePassword), the account (SetStaffDisabled) and a new second factor
(ConfirmTotp)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, LoginThrottle, OneTimeCodes, UnitOfWorkFactory
from application.staff.actor import Actor
from application.staff.reauth import admit
from application.staff.totp import code_is_fresh
from domain.access import hash_secret
from domain.errors import InvalidRequest, NotFound, Unauthenticated
from domain.staff import AuditAction, AuditEntry, Role, StaffKey, StaffMember

STAFF_KEY_PREFIX = "crs"


def split_staff_key(presented: str) -> tuple[str, str] | None:
    parts = presented.strip().split("_")
    if len(parts) < 3 or parts[0] != STAFF_KEY_PREFIX:
        return None
    key_id, secret = parts[1], "_".join(parts[2:])
    if len(key_id) != 12 or not 32 <= len(secret) <= 128:
        return None
    return key_id, secret


@dataclass(frozen=True, slots=True)
class IssuedStaffKey:
    key: StaffKey
    plaintext: str


class IssueStaffKey:
    """An API key for automation acting as `member` (shown once; only its hash is kept)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, codes: OneTimeCodes, throttle: LoginThrottle
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._codes = codes
        self._throttle = throttle

    async def __call__(
        self,
        member: StaffMember,
        label: str,
        actor: Actor,
        totp_code: str | None = None,
        expires_at: datetime | None = None,
    ) -> IssuedStaffKey:
        label = label.strip()
        if not 1 <= len(label) <= 100:
            raise InvalidRequest("a key label is 1-100 characters")
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidRequest("a key's expiry must be in the future")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        key = StaffKey(key_id, member.id, label, hash_secret(secret), now, expires_at=expires_at)
        if member.totp_enabled:  # a code is a credential: guessing it is throttled
            await admit(self._throttle, member, actor.source)
        async with self._uow() as uow:
            if member.totp_enabled:
                found = await uow.staff.credentials(member.username)
                totp = None if found is None else found[2]
                if totp is not None and not await code_is_fresh(
                    uow, self._codes, member.id, totp, totp_code, self._clock
                ):
                    raise Unauthenticated("issuing a key needs a fresh one-time code")
            await uow.staff.add_key(key)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.STAFF_KEY_ISSUED,
                    now,
                    actor.label,
                    f"staff:{member.username}",
                    actor.source,
                    after={"key_id": key_id, "label": label, "expires_at": expires_at},
                )
            )
            await uow.commit()
        if member.totp_enabled:
            await self._throttle.succeeded(member.username, actor.source)
        return IssuedStaffKey(key, f"{STAFF_KEY_PREFIX}_{key_id}_{secret}")


class ListStaffKeys:
    """A member's own keys (never their secrets), revoked and expired ones too."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, member: StaffMember) -> Sequence[StaffKey]:
        async with self._uow() as uow:
            return await uow.staff.keys_of(member.id)


class RevokeStaffKey:
    """Revoke one key: the member's own, or anyone's for an admin."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, member: StaffMember, key_id: str, actor: Actor) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.staff.key(key_id[:64])
            if found is None or (found[1].id != member.id and member.role is not Role.ADMIN):
                raise NotFound(f"no key {key_id[:64]!r} of yours")
            if not await uow.staff.revoke_key(key_id, now):
                raise InvalidRequest("that key is revoked already")
            await uow.audit.record(
                AuditEntry(
                    AuditAction.STAFF_KEY_REVOKED,
                    now,
                    actor.label,
                    f"staff:{found[1].username}",
                    actor.source,
                    after={"key_id": key_id},
                )
            )
            await uow.commit()
