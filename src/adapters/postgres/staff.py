"""Staff accounts, their API keys and the audit log in PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import totp_place
from application.ports import AuditQuery
from domain.errors import InvalidRequest, NotFound
from domain.staff import AuditAction, AuditEntry, Role, StaffKey, StaffMember

_MEMBER = "id, username, role, created_at, token_version, totp_sealed, disabled"

_INSERT_STAFF = text(
    f"INSERT INTO staff (username, password_hash, role, created_at) VALUES (:u, :h, :r, :now) RETURNING {_MEMBER}"  # noqa: S608, E501 - a constant column list  # nosec B608
)
_SET_DISABLED = text(
    f"UPDATE staff SET disabled = :d, token_version = token_version + 1 WHERE id = :id RETURNING {_MEMBER}"  # noqa: S608, E501 - a constant column list  # nosec B608
)
_STAFF_BY_ID = text(f"SELECT {_MEMBER} FROM staff WHERE id = :id")  # noqa: S608 - a constant column list  # nosec B608


def _member(row: Any) -> StaffMember:
    return StaffMember(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        created_at=row.created_at,
        token_version=row.token_version,
        totp_enabled=row.totp_sealed is not None,
        disabled=row.disabled,
    )


def _key(row: Any) -> StaffKey:
    return StaffKey(
        row.key_id,
        row.staff_id,
        row.label,
        bytes(row.secret_hash),
        row.key_created_at,
        row.revoked_at,
        row.expires_at,
    )


class SqlStaff:
    def __init__(self, conn: AsyncConnection, personal: PersonalDataCipher) -> None:
        self._conn = conn
        self._personal = personal

    async def add(
        self, username: str, password_hash: str, role: Role, now: datetime
    ) -> StaffMember:
        try:
            row = (
                await self._conn.execute(
                    _INSERT_STAFF,
                    {"u": username, "h": password_hash, "r": role.value, "now": now},
                )
            ).one()
        except IntegrityError:
            raise InvalidRequest(f"the username {username!r} is taken") from None
        return _member(row)

    async def credentials(self, username: str) -> tuple[StaffMember, str, str | None] | None:
        row = (
            await self._conn.execute(
                text(f"SELECT {_MEMBER}, password_hash FROM staff WHERE username = :u"),  # noqa: S608 - a constant column list  # nosec B608
                {"u": username},
            )
        ).first()
        if row is None:
            return None
        totp = None
        if row.totp_sealed is not None:
            totp = self._personal.open(row.totp_sealed, totp_place(row.id))
        return _member(row), row.password_hash, totp

    async def get(self, staff_id: int) -> StaffMember:
        row = (
            await self._conn.execute(
                _STAFF_BY_ID,
                {"id": staff_id},
            )
        ).first()
        if row is None:
            raise NotFound(f"no staff member {staff_id}")
        return _member(row)

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None:
        await self._conn.execute(
            text(
                "UPDATE staff SET password_hash = :h, token_version = token_version + 1"
                " WHERE id = :id"
            ),
            {"h": password_hash, "id": staff_id},
        )

    async def set_disabled(self, staff_id: int, disabled: bool) -> StaffMember:
        row = (
            await self._conn.execute(
                _SET_DISABLED,
                {"d": disabled, "id": staff_id},
            )
        ).first()
        if row is None:
            raise NotFound(f"no staff member {staff_id}")
        return _member(row)

    async def set_pending_totp_secret(self, staff_id: int, secret: str) -> None:
        await self._conn.execute(
            text("UPDATE staff SET totp_pending_sealed = :s WHERE id = :id"),
            {"s": self._personal.seal(secret, totp_place(staff_id)), "id": staff_id},
        )

    async def pending_totp_secret(self, staff_id: int) -> str | None:
        sealed = (
            await self._conn.execute(
                text("SELECT totp_pending_sealed FROM staff WHERE id = :id"), {"id": staff_id}
            )
        ).scalar()
        return None if sealed is None else self._personal.open(sealed, totp_place(staff_id))

    async def confirm_totp(self, staff_id: int, step: int) -> bool:
        row = (
            await self._conn.execute(
                text(
                    "UPDATE staff SET totp_sealed = totp_pending_sealed,"
                    " totp_pending_sealed = NULL, totp_last_step = :step"
                    " WHERE id = :id AND totp_pending_sealed IS NOT NULL RETURNING id"
                ),
                {"id": staff_id, "step": step},
            )
        ).first()
        return row is not None

    async def use_totp_step(self, staff_id: int, step: int) -> bool:
        # One statement: two requests with the same code cannot both see it unused.
        row = (
            await self._conn.execute(
                text(
                    "UPDATE staff SET totp_last_step = :step WHERE id = :id"
                    " AND (totp_last_step IS NULL OR totp_last_step < :step) RETURNING id"
                ),
                {"id": staff_id, "step": step},
            )
        ).first()
        return row is not None

    async def add_key(self, key: StaffKey) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO staff_api_keys"
                " (key_id, staff_id, label, secret_hash, created_at, expires_at)"
                " VALUES (:k, :s, :l, :h, :now, :expires)"
            ),
            {
                "k": key.key_id,
                "s": key.staff_id,
                "l": key.label,
                "h": key.secret_hash,
                "now": key.created_at,
                "expires": key.expires_at,
            },
        )

    async def keys_of(self, staff_id: int) -> Sequence[StaffKey]:
        rows = await self._conn.execute(
            text(
                "SELECT key_id, staff_id, label, secret_hash, created_at AS key_created_at,"
                " revoked_at, expires_at FROM staff_api_keys WHERE staff_id = :s"
                " ORDER BY created_at DESC, key_id"
            ),
            {"s": staff_id},
        )
        return [_key(r) for r in rows]

    async def revoke_keys_of(self, staff_id: int, now: datetime) -> int:
        result = await self._conn.execute(
            text(
                "UPDATE staff_api_keys SET revoked_at = :now"
                " WHERE staff_id = :s AND revoked_at IS NULL"
            ),
            {"s": staff_id, "now": now},
        )
        return int(result.rowcount)

    async def key(self, key_id: str) -> tuple[StaffKey, StaffMember] | None:
        row = (
            await self._conn.execute(
                text(
                    "SELECT k.key_id, k.staff_id, k.label, k.secret_hash,"
                    " k.created_at AS key_created_at, k.revoked_at, k.expires_at,"
                    " s.id, s.username, s.role, s.created_at, s.token_version, s.totp_sealed,"
                    " s.disabled"
                    " FROM staff_api_keys k JOIN staff s ON s.id = k.staff_id"
                    " WHERE k.key_id = :k"
                ),
                {"k": key_id},
            )
        ).first()
        if row is None:
            return None
        return _key(row), _member(row)

    async def revoke_key(self, key_id: str, now: datetime) -> bool:
        row = (
            await self._conn.execute(
                text(
                    "UPDATE staff_api_keys SET revoked_at = :now"
                    " WHERE key_id = :k AND revoked_at IS NULL RETURNING key_id"
                ),
                {"k": key_id, "now": now},
            )
        ).first()
        return row is not None


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, entry: AuditEntry) -> None:
        await self._conn.execute(
            text(
                "INSERT INTO audit_log (at, action, actor, subject, source, before, after)"
                " VALUES (:at, :action, :actor, :subject, :source,"
                " CAST(:before AS jsonb), CAST(:after AS jsonb))"
            ),
            {
                "at": entry.at,
                "action": entry.action.value,
                "actor": entry.actor,
                "subject": entry.subject,
                "source": entry.source,
                "before": None if entry.before is None else json.dumps(entry.before, default=str),
                "after": None if entry.after is None else json.dumps(entry.after, default=str),
            },
        )

    async def search(self, query: AuditQuery) -> Sequence[AuditEntry]:
        rows = await self._conn.execute(
            text(
                "SELECT id, at, action, actor, subject, source, before, after FROM audit_log"
                " WHERE (CAST(:actor AS text) IS NULL OR actor = :actor)"
                " AND (CAST(:action AS text) IS NULL OR action = :action)"
                " AND (CAST(:subject AS text) IS NULL OR subject = :subject)"
                " AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)"
                " AND (CAST(:until AS timestamptz) IS NULL OR at < :until)"
                " AND (CAST(:before_id AS bigint) IS NULL OR id < :before_id)"
                " ORDER BY id DESC LIMIT :limit"
            ),
            {
                "actor": query.actor,
                "action": query.action,
                "subject": query.subject,
                "since": query.since,
                "until": query.until,
                "before_id": query.before_id,
                "limit": query.limit,
            },
        )
        return [
            AuditEntry(
                action=AuditAction(r.action),
                at=r.at,
                actor=r.actor,
                subject=r.subject,
                source=r.source,
                before=r.before,
                after=r.after,
                id=r.id,
            )
            for r in rows
        ]
