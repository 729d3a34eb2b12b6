"""The audit log: every staff action and significant event, filterable, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from application.audit import SearchAudit
from application.ports import AuditQuery
from domain.staff import Role
from entrypoints.http.auth import SECURITY, requires


class AuditView(msgspec.Struct):
    id: int
    at: datetime
    action: str
    actor: str
    subject: str
    source: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(msgspec.Struct):
    entries: list[AuditView]
    next_before_id: int | None


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    guards = [requires(Role.ADMIN)]  # noqa: RUF012

    @get("/", summary="Audit entries, newest first; page with before_id")
    @inject
    async def search(
        self,
        search: FromDishka[SearchAudit],
        actor: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        subject: FromQuery[str | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> AuditPage:
        entries = await search(AuditQuery(actor, action, subject, since, until, before_id, limit))
        views = [
            AuditView(
                e.id or 0, e.at, e.action.value, e.actor, e.subject, e.source, e.before, e.after
            )
            for e in entries
        ]
        more = len(views) == limit and views
        return AuditPage(views, views[-1].id if more else None)
