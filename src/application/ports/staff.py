"""Staff accounts and their API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.staff import Role, StaffKey, StaffMember


class StaffRepository(Protocol):
    """Staff accounts. Password hashes and TOTP secrets never leave the adapter except to the
    use case that checks them."""

    async def add(
        self, username: str, password_hash: str, role: Role, now: datetime
    ) -> StaffMember:
        """Create the account; `InvalidRequest` when the username is taken."""
        ...

    async def credentials(self, username: str) -> tuple[StaffMember, str, str | None] | None:
        """The member, their password hash and confirmed TOTP secret (None when off), by
        username."""
        ...

    async def get(self, staff_id: int) -> StaffMember:
        """The member, or `NotFound`."""
        ...

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None:
        """The new hash; the member's token version goes up, so their tokens stop working."""
        ...

    async def set_disabled(self, staff_id: int, disabled: bool) -> StaffMember:
        """Disable or re-enable; either way the token version goes up, so re-enabling never
        revives a token issued before. `NotFound` when there is no such member."""
        ...

    async def set_pending_totp_secret(self, staff_id: int, secret: str) -> None:
        """A new TOTP secret that waits for its first code; the confirmed one stays in force."""
        ...

    async def pending_totp_secret(self, staff_id: int) -> str | None: ...

    async def confirm_totp(self, staff_id: int, step: int) -> bool:
        """The pending secret becomes the confirmed one, `step` its last used code; False
        when none is pending."""
        ...

    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        """Record a code's time step as used, atomically; False when it, or a later one, was
        used already (a replay)."""
        ...

    async def add_key(self, key: StaffKey) -> None: ...

    async def key(self, key_id: str) -> tuple[StaffKey, StaffMember] | None: ...

    async def keys_of(self, staff_id: int) -> Sequence[StaffKey]:
        """The member's keys, revoked and expired ones too, newest first."""
        ...

    async def revoke_key(self, key_id: str, now: datetime) -> bool: ...

    async def revoke_keys_of(self, staff_id: int, now: datetime) -> int:
        """Revoke every live key of the member; how many."""
        ...
