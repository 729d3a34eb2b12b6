"""Admin API, risk: flags raised for staff review, with their evidence, and their review.

Any staff role may read flags; support and finance staff (and admins) resolve or dismiss
them, with a note, once. The same module wires the risk rules' configuration for every
process (the settlement path, withdrawals and the CLI use it too)."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Annotated, Any

import msgspec
from dishka import Provider, Scope, provide
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.ports import RiskFlagQuery
from application.risk import (
    MAX_PAGE,
    GetRiskFlag,
    HasOpenRiskFlags,
    ListRiskFlags,
    MonitorOutcomes,
    RecordPaymentIdentity,
    ReviewRiskFlag,
    RiskReview,
    ScanPlayersForRisk,
)
from application.staff import Actor
from domain.risk import RiskFlag, RiskFlagKind, RiskFlagStatus, RiskPolicy
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.settings import Settings


class RiskProvider(Provider):
    """The risk policy from settings and the rules (one per process), and the risk use cases
    (one per request)."""

    @provide(scope=Scope.APP)
    def risk_policy(self, settings: Settings) -> RiskPolicy:
        return RiskPolicy(
            z_threshold=settings.risk_z_threshold,
            min_bets=settings.risk_min_bets,
            scan_window=timedelta(days=settings.risk_scan_days),
            rapid_window=timedelta(hours=settings.risk_rapid_withdrawal_hours),
            min_play_ratio=Fraction(settings.risk_min_play_ratio),
            large_win=settings.risk_large_win,
            large_wager=settings.risk_large_wager,
            outcome_alpha=settings.risk_outcome_alpha,
        )

    risk_review = provide(RiskReview, scope=Scope.APP)
    record_payment_identity = provide(RecordPaymentIdentity, scope=Scope.REQUEST)
    has_open_risk_flags = provide(HasOpenRiskFlags, scope=Scope.REQUEST)
    scan_players_for_risk = provide(ScanPlayersForRisk, scope=Scope.REQUEST)
    monitor_outcomes = provide(MonitorOutcomes, scope=Scope.REQUEST)
    list_risk_flags = provide(ListRiskFlags, scope=Scope.REQUEST)
    get_risk_flag = provide(GetRiskFlag, scope=Scope.REQUEST)
    review_risk_flag = provide(ReviewRiskFlag, scope=Scope.REQUEST)


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

    @post(
        "/{flag_id:int}/resolve",
        guards=[requires(Role.SUPPORT, Role.FINANCE)],
        status_code=200,
        summary="Close an open flag as resolved (looked into, with a finding), with a note",
    )
    @inject
    async def resolve(
        self,
        flag_id: FromPath[int],
        data: JSONBody[ReviewBody],
        actor: NamedDependency[Actor],
        review: FromDishka[ReviewRiskFlag],
    ) -> RiskFlagView:
        return view(await review(flag_id, RiskFlagStatus.RESOLVED, data.note, actor))

    @post(
        "/{flag_id:int}/dismiss",
        guards=[requires(Role.SUPPORT, Role.FINANCE)],
        status_code=200,
        summary="Close an open flag as dismissed (a false alarm), with a note",
    )
    @inject
    async def dismiss(
        self,
        flag_id: FromPath[int],
        data: JSONBody[ReviewBody],
        actor: NamedDependency[Actor],
        review: FromDishka[ReviewRiskFlag],
    ) -> RiskFlagView:
        return view(await review(flag_id, RiskFlagStatus.DISMISSED, data.note, actor))
