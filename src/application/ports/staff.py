"""Staff accounts and their API keys."""

from __future__ import annotations

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
        """The member, their password hash and TOTP secret (None when off), by username."""
        ...

    async def get(self, staff_id: int) -> StaffMember:
        """The member, or `NotFound`."""
        ...

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None: ...

    async def set_totp_secret(self, staff_id: int, secret: str) -> None: ...

    async def add_key(self, key: StaffKey) -> None: ...

    async def key(self, key_id: str) -> tuple[StaffKey, StaffMember] | None: ...

    async def revoke_key(self, key_id: str, now: datetime) -> bool: ...
