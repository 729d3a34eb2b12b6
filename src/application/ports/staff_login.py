"""What a staff login checks: passwords, second factor, tokens, throttling."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.staff import StaffMember


class PasswordHasher(Protocol):
    """A slow, salted password hash (Argon2). Coroutines: the work runs off the event loop,
    with bounded concurrency, so logins never stall other requests."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
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
    """Counts login attempts per (account, address), per address, and in a larger budget per
    account that addresses the account has logged in from before do not spend (in Redis:
    losing it loses only the counters).

    `admit` checks and counts in one atomic step, before the password is checked, so
    concurrent attempts cannot all slip under a limit; `succeeded` takes the attempt back and
    remembers the address for the account."""

    async def admit(self, account: str, address: str) -> bool:
        """Count this attempt; False (and not counted) when a limit is already reached."""
        ...

    async def succeeded(self, account: str, address: str) -> None: ...


class OneTimeCodes(Protocol):
    """TOTP second factor."""

    def new_secret(self) -> str: ...

    def step(self, secret: str, code: str, now: datetime) -> int | None:
        """The time step of the window (now, or one step either side) whose code `code` is;
        None when it is none of them. The caller refuses a step already used."""
        ...

    def provisioning_uri(self, secret: str, username: str) -> str: ...
