"""Reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import AuditQuery, UnitOfWorkFactory
from domain.staff import AuditEntry


class SearchAudit:
    """Audit entries matching a query, newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: AuditQuery) -> Sequence[AuditEntry]:
        async with self._uow() as uow:
            return await uow.audit.search(query)
