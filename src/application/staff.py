"""Staff accounts: creation, login (password, optional TOTP), tokens and API keys."""

from __future__ import annotations

import hmac
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
from domain.access import hash_secret
from domain.errors import InvalidRequest, NotFound, RateLimited, Unauthenticated
from domain.staff import (
    AuditAction,
    AuditEntry,
    Role,
    StaffKey,
    StaffMember,
    validate_password,
    validate_username,
)

STAFF_KEY_PREFIX = "crs"
# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_PASSWORD = "not-a-real-password-" + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting and from where, as the audit log records it."""

    label: str  # "staff:alice", "player:42", "service:slots-provider", "cli", "system"
    source: str = ""

    @classmethod
    def staff(cls, member: StaffMember, source: str = "") -> Actor:
        return cls(f"staff:{member.username}", source)

    @classmethod
    def player(cls, player_id: int) -> Actor:
        """The player acting for themselves (the bot, the Mini App)."""
        return cls(f"player:{player_id}")

    @classmethod
    def service(cls, name: str) -> Actor:
        """An internal service, by the name of the API key it called with."""
        return cls(f"service:{name}")


class CreateStaff:
    """A new staff account. The first admin is made with `croupier admin create`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher) -> None:
        self._uow = uow
        self._clock = clock
        self._hasher = hasher

    async def __call__(self, username: str, password: str, role: Role, actor: Actor) -> StaffMember:
        username = validate_username(username)
        password_hash = self._hasher.hash(validate_password(password))
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


@dataclass(frozen=True, slots=True)
class Session:
    member: StaffMember
    token: str
    expires_at: datetime


class Login:
    """Exchange a username, password (and TOTP code when enabled) for a short-lived token.

    Failures are rate-limited per account and per address and logged as significant events;
    every failure gives the same answer, whatever was wrong."""

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

    async def __call__(
        self, username: str, password: str, totp_code: str | None, source: str
    ) -> Session:
        account = username.strip().lower()[:100]
        if await self._throttle.blocked(account, source):
            await self._record(AuditAction.LOGIN_FAILED, account, source, "rate limited")
            raise RateLimited("too many failed logins; wait a few minutes and try again")
        async with self._uow() as uow:
            found = await uow.staff.credentials(account)
        if found is None:
            self._hasher.verify(self._hasher.hash(_DUMMY_PASSWORD), password)
            return await self._fail(account, source, "unknown account")
        member, password_hash, totp_secret = found
        if member.disabled or not self._hasher.verify(password_hash, password):
            return await self._fail(account, source, "wrong password or disabled")
        now = self._clock.now()
        if totp_secret is not None and not self._codes.verify(totp_secret, totp_code or "", now):
            return await self._fail(account, source, "wrong or missing one-time code")
        await self._throttle.succeeded(account)
        token, expires = self._tokens.issue(member, now)
        await self._record(AuditAction.LOGIN, account, source, "")
        return Session(member, token, expires)

    async def _fail(self, account: str, source: str, why: str) -> Session:
        await self._throttle.failed(account, source)
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


class AuthenticateStaff:
    """The staff member behind a bearer token or a staff API key, or `Unauthenticated`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, tokens: TokenCodec) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens

    async def by_token(self, token: str) -> StaffMember:
        claims = self._tokens.read(token, self._clock.now())
        if claims is None:
            raise Unauthenticated("the token is invalid or expired; log in again")
        staff_id, version = claims
        async with self._uow() as uow:
            try:
                member = await uow.staff.get(staff_id)
            except NotFound:
                raise Unauthenticated("the token's account no longer exists") from None
        if member.disabled or member.token_version != version:
            raise Unauthenticated("the token was revoked; log in again")
        return member

    async def by_key(self, presented: str) -> StaffMember:
        parts = _split_staff_key(presented)
        if parts is None:
            raise Unauthenticated("the API key is malformed")
        key_id, secret = parts
        async with self._uow() as uow:
            found = await uow.staff.key(key_id)
        if found is None:
            raise Unauthenticated("unknown or revoked API key")
        key, member = found
        if key.revoked_at is not None or not hmac.compare_digest(
            hash_secret(secret), key.secret_hash
        ):
            raise Unauthenticated("unknown or revoked API key")
        if member.disabled:
            raise Unauthenticated("the key's account is disabled")
        return member


def _split_staff_key(presented: str) -> tuple[str, str] | None:
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

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, member: StaffMember, label: str, actor: Actor) -> IssuedStaffKey:
        label = label.strip()
        if not 1 <= len(label) <= 100:
            raise InvalidRequest("a key label is 1-100 characters")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = self._clock.now()
        key = StaffKey(key_id, member.id, label, hash_secret(secret), now)
        async with self._uow() as uow:
            await uow.staff.add_key(key)
            await uow.audit.record(
                AuditEntry(
                    AuditAction.STAFF_KEY_ISSUED,
                    now,
                    actor.label,
                    f"staff:{member.username}",
                    actor.source,
                    after={"key_id": key_id, "label": label},
                )
            )
            await uow.commit()
        return IssuedStaffKey(key, f"{STAFF_KEY_PREFIX}_{key_id}_{secret}")


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
