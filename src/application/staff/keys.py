"""Staff API keys: their format, and issuing one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.ports import Clock, UnitOfWorkFactory
from application.staff.actor import Actor
from domain.access import hash_secret
from domain.errors import InvalidRequest
from domain.staff import AuditAction, AuditEntry, StaffKey, StaffMember

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
