"""Admin API, risk: flags raised for staff review, with their evidence, and their review.

Any staff role may read flags; support and finance staff (and admins) resolve or dismiss
them, with a note, once. The same module wires the risk rules' configuration for every
process (the settlement path, withdrawals and the CLI use it too)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter

from application.ports import RiskFlagQuery
from application.risk import (
    MAX_PAGE,
    GetRiskFlag,
    ListRiskFlags,
    ReviewRiskFlag,
)
from domain.risk import RiskFlag, RiskFlagKind, RiskFlagStatus
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.http.decisions import Decision

REVIEWERS = requires(Role.SUPPORT, Role.FINANCE)
RESOLVED, DISMISSED = RiskFlagStatus.RESOLVED, RiskFlagStatus.DISMISSED


class ReviewBody(msgspec.Struct, forbid_unknown_fields=True):
    note: str  # what was found, or why it is a false alarm


class RiskFlagView(msgspec.Struct):
    id: int
    player_id: int
    kind: str
    status: str
    evidence: dict[str, Any]
    raised_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str | None


class RiskFlagPage(msgspec.Struct):
    flags: list[RiskFlagView]
    next_before_id: int | None  # pass as before_id for the next page; null on the last


def view(flag: RiskFlag) -> RiskFlagView:
    return RiskFlagView(
        id=flag.id or 0,
        player_id=flag.player_id,
        kind=flag.kind.value,
        status=flag.status.value,
        evidence=dict(flag.evidence),
        raised_at=flag.raised_at,
        reviewed_by=flag.reviewed_by,
        reviewed_at=flag.reviewed_at,
        note=flag.note,
    )


class RiskController(Controller):
    path = "/api/v1/risk/flags"
    tags = ["risk"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get(
        "/",
        guards=[ANY_STAFF],
        summary="Risk flags with their evidence, newest first; page with before_id",
    )
    @inject
    async def list_flags(
        self,
        listing: FromDishka[ListRiskFlags],
        wanted: Annotated[RiskFlagStatus | None, QueryParameter(name="status")] = None,
        player_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        kind: Annotated[RiskFlagKind | None, QueryParameter()] = None,
        before_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> RiskFlagPage:
        flags = await listing(RiskFlagQuery(wanted, player_id, kind, before_id, limit))
        views = [view(f) for f in flags]
        more = len(views) == limit and views
        return RiskFlagPage(views, views[-1].id if more else None)

    @get("/{flag_id:int}", guards=[ANY_STAFF], summary="One risk flag with its evidence")
    @inject
    async def get_flag(
        self, flag_id: FromPath[int], fetch: FromDishka[GetRiskFlag]
    ) -> RiskFlagView:
        return view(await fetch(flag_id))

    resolve = Decision(
        "/{flag_id:int}/resolve",
        REVIEWERS,
        "Close an open flag as resolved (looked into, with a finding), with a note",
        ReviewRiskFlag,
        lambda review, flag_id, body, actor: review(flag_id, RESOLVED, body.note, actor),
        view,
        ReviewBody,
    ).handler()
    dismiss = Decision(
        "/{flag_id:int}/dismiss",
        REVIEWERS,
        "Close an open flag as dismissed (a false alarm), with a note",
        ReviewRiskFlag,
        lambda review, flag_id, body, actor: review(flag_id, DISMISSED, body.note, actor),
        view,
        ReviewBody,
    ).handler()
