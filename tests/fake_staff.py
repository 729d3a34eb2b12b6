"""In-memory fakes of the staff ports (accounts and keys) and of what a login checks
(password hashes, tokens, the failure throttle, one-time codes), so the staff use cases run in
unit tests. The real Argon2, JWT, TOTP and Redis throttle are tested in their own adapters'
tests; these fakes keep each port's contract, not its cryptography."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.errors import InvalidRequest, NotFound
from domain.staff import Role, StaffKey, StaffMember

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeStaff:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(
        self, username: str, password_hash: str, role: Role, now: datetime
    ) -> StaffMember:
        if any(m.username == username for m, _, _ in self.s.staff.values()):
            raise InvalidRequest(f"the username {username!r} is taken")
        member = StaffMember(self.s.take_id(), username, role, now)
        self.s.staff[member.id] = (member, password_hash, None)
        return member

    async def credentials(self, username: str) -> tuple[StaffMember, str, str | None] | None:
        return next((c for c in self.s.staff.values() if c[0].username == username), None)

    async def get(self, staff_id: int) -> StaffMember:
        if staff_id not in self.s.staff:
            raise NotFound(f"no staff member {staff_id}")
        return self.s.staff[staff_id][0]

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None:
        member, _, secret = self.s.staff[staff_id]
        bumped = replace(member, token_version=member.token_version + 1)
        self.s.staff[staff_id] = (bumped, password_hash, secret)

    async def set_totp_secret(self, staff_id: int, secret: str) -> None:
        member, password_hash, _ = self.s.staff[staff_id]
        self.s.staff[staff_id] = (replace(member, totp_enabled=True), password_hash, secret)

    async def add_key(self, key: StaffKey) -> None:
        self.s.staff_keys[key.key_id] = key

    async def key(self, key_id: str) -> tuple[StaffKey, StaffMember] | None:
        key = self.s.staff_keys.get(key_id)
        return None if key is None else (key, self.s.staff[key.staff_id][0])

    async def revoke_key(self, key_id: str, now: datetime) -> bool:
        key = self.s.staff_keys.get(key_id)
        if key is None or key.revoked_at is not None:
            return False
        self.s.staff_keys[key_id] = replace(key, revoked_at=now)
        return True


class FakeHasher:
    """A hash that is not one (the prefix shows it); the use case only needs the contract."""

    def hash(self, password: str) -> str:
        return f"fake-hash:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)


class FakeTokens:
    LIFETIME = timedelta(minutes=30)

    def issue(self, member: StaffMember, now: datetime) -> tuple[str, datetime]:
        expires = now + self.LIFETIME
        return f"token:{member.id}:{member.token_version}:{expires.timestamp()}", expires

    def read(self, token: str, now: datetime) -> tuple[int, int] | None:
        parts = token.split(":")
        if len(parts) != 4 or parts[0] != "token" or float(parts[3]) <= now.timestamp():
            return None
        return int(parts[1]), int(parts[2])


class FakeThrottle:
    """Blocks an account after `limit` failures in a row, as the Redis throttle does."""

    def __init__(self, limit: int = 3) -> None:
        self.limit = limit
        self.failures: dict[str, int] = {}

    async def blocked(self, account: str, address: str) -> bool:
        return self.failures.get(account, 0) >= self.limit

    async def failed(self, account: str, address: str) -> None:
        self.failures[account] = self.failures.get(account, 0) + 1

    async def succeeded(self, account: str) -> None:
        self.failures.pop(account, None)


class FakeCodes:
    """The one valid code of a secret is its last six characters."""

    def new_secret(self) -> str:
        return "SECRET123456"

    def verify(self, secret: str, code: str, now: datetime) -> bool:
        return code == secret[-6:]

    def provisioning_uri(self, secret: str, username: str) -> str:
        return f"otpauth://totp/Croupier:{username}?secret={secret}"
