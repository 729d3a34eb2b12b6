"""In-memory fakes of the staff ports (accounts and keys) and of what a login checks
(password hashes, tokens, the failure throttle, one-time codes), so the staff use cases run in
unit tests. The real Argon2, JWT, TOTP and Redis throttle are tested in their own adapters'
tests; these fakes keep each port's contract, not its cryptography."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
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

    async def set_disabled(self, staff_id: int, disabled: bool) -> StaffMember:
        if staff_id not in self.s.staff:
            raise NotFound(f"no staff member {staff_id}")
        member, password_hash, secret = self.s.staff[staff_id]
        member = replace(member, disabled=disabled, token_version=member.token_version + 1)
        self.s.staff[staff_id] = (member, password_hash, secret)
        return member

    async def set_pending_totp_secret(self, staff_id: int, secret: str) -> None:
        self.s.staff_totp_pending[staff_id] = secret

    async def pending_totp_secret(self, staff_id: int) -> str | None:
        return self.s.staff_totp_pending.get(staff_id)

    async def confirm_totp(self, staff_id: int, step: int) -> bool:
        secret = self.s.staff_totp_pending.pop(staff_id, None)
        if secret is None:
            return False
        member, password_hash, _ = self.s.staff[staff_id]
        self.s.staff[staff_id] = (replace(member, totp_enabled=True), password_hash, secret)
        self.s.staff_totp_steps[staff_id] = step
        return True

    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        if self.s.staff_totp_steps.get(staff_id, -1) >= step:
            return False
        self.s.staff_totp_steps[staff_id] = step
        return True

    async def add_key(self, key: StaffKey) -> None:
        self.s.staff_keys[key.key_id] = key

    async def keys_of(self, staff_id: int) -> Sequence[StaffKey]:
        keys = [k for k in self.s.staff_keys.values() if k.staff_id == staff_id]
        return sorted(keys, key=lambda k: (k.created_at, k.key_id), reverse=True)

    async def revoke_keys_of(self, staff_id: int, now: datetime) -> int:
        live = [
            k for k in self.s.staff_keys.values() if k.staff_id == staff_id and not k.revoked_at
        ]
        for key in live:
            self.s.staff_keys[key.key_id] = replace(key, revoked_at=now)
        return len(live)

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
    """A hash that is not one (the prefix shows it); the use case only needs the contract.
    It counts its calls: equal work for every failure is checked by counting, not timing."""

    def __init__(self) -> None:
        self.hashes = 0
        self.verifications = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return f"fake-hash:{password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        await asyncio.sleep(0)  # a real verification yields to the loop while it works
        return password_hash == f"fake-hash:{password}"


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
    """The Redis throttle's rules without its windows: `limit` attempts per (account,
    address), and `account_budget` per account that addresses it succeeded from before do not
    spend. Checked and counted in one step, as the Lua script does."""

    def __init__(self, limit: int = 3, account_budget: int = 10) -> None:
        self.limit = limit
        self.account_budget = account_budget
        self.pairs: dict[tuple[str, str], int] = {}
        self.accounts: dict[str, int] = {}
        self.known: set[tuple[str, str]] = set()

    async def admit(self, account: str, address: str) -> bool:
        pair = (account, address)
        if self.pairs.get(pair, 0) >= self.limit or (
            pair not in self.known and self.accounts.get(account, 0) >= self.account_budget
        ):
            return False
        self.pairs[pair] = self.pairs.get(pair, 0) + 1
        self.accounts[account] = self.accounts.get(account, 0) + 1
        return True

    async def succeeded(self, account: str, address: str) -> None:
        self.pairs.pop((account, address), None)
        self.accounts[account] = max(0, self.accounts.get(account, 0) - 1)
        self.known.add((account, address))


class FakeCodes:
    """A secret's code in a 30-second step is its last six characters and the step's number:
    `step` answers the step of a code of now or one step either side, as TOTP does."""

    def __init__(self) -> None:
        self.made = 0

    def new_secret(self) -> str:
        self.made += 1
        return f"SECRET{self.made:06d}"

    @staticmethod
    def code(secret: str, now: datetime, drift: int = 0) -> str:
        return f"{secret[-6:]}-{int(now.timestamp()) // 30 + drift}"

    def step(self, secret: str, code: str, now: datetime) -> int | None:
        current = int(now.timestamp()) // 30
        return next((current + d for d in (-1, 0, 1) if code == self.code(secret, now, d)), None)

    def provisioning_uri(self, secret: str, username: str) -> str:
        return f"otpauth://totp/Croupier:{username}?secret={secret}"
