"""The audit log of staff actions and significant events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.staff import AuditEntry


class AuditLog(Protocol):
    """The append-only record of staff actions and significant events."""

    async def record(self, entry: AuditEntry) -> None: ...

    async def search(self, query: AuditQuery) -> Sequence[AuditEntry]:
        """Entries matching the query, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50
