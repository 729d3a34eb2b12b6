"""What a staff login checks: passwords, second factor, tokens, throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.staff import StaffMember


class PasswordHasher(Protocol):
    """A slow, salted password hash (Argon2)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""
        ...


class TokenCodec(Protocol):
    """Short-lived signed bearer tokens for staff sessions."""

    def issue(self, member: StaffMember, now: datetime) -> tuple[str, datetime]:
        """The token and when it expires."""
        ...

    def read(self, token: str, now: datetime) -> tuple[int, int] | None:
        """(staff id, token version) of a valid, unexpired token; None otherwise."""
        ...


class LoginThrottle(Protocol):
    """Counts failed logins per account and per address (in Redis: losing it loses only the
    counters)."""

    async def blocked(self, account: str, address: str) -> bool: ...

    async def failed(self, account: str, address: str) -> None: ...

    async def succeeded(self, account: str) -> None: ...


class OneTimeCodes(Protocol):
    """TOTP second factor."""

    def new_secret(self) -> str: ...

    def verify(self, secret: str, code: str, now: datetime) -> bool: ...

    def provisioning_uri(self, secret: str, username: str) -> str: ...
