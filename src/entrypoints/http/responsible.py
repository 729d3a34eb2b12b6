"""Admin API, responsible gambling: a player's limits (with what is used of each and any
pending raise or removal), time-out or self-exclusion, and reality check. Any staff role may
read.

Read only, on purpose: limits and exclusions are the player's own decisions. There is no
route, for any role, that changes a limit, lifts a time-out or self-exclusion early or
acknowledges a reality check; the database refuses to shorten an exclusion as well."""

from __future__ import annotations

from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import FromPath

from application.responsible import GetResponsibleStatus, LimitStatus, ResponsibleStatus
from domain.responsible import Exclusion, RealityCheck
from entrypoints.http.auth import ANY_STAFF, SECURITY


class PendingChangeView(msgspec.Struct):
    amount: int | None  # the raise asked for; None for a removal
    removal: bool
    requested_at: datetime
    confirmable_at: datetime  # after the 24-hour cooling-off, and only by the player
    confirmable: bool


class LimitView(msgspec.Struct):
    kind: str  # deposit, loss, wager
    period: str  # 24h, 7d, 30d
    currency: str
    amount: int  # in force now, minor units
    used: int  # in the rolling window ending now
    remaining: int  # may exceed amount for a loss limit while the player is ahead
    set_at: datetime
    pending: PendingChangeView | None


class ExclusionView(msgspec.Struct):
    kind: str  # timeout, self_exclusion
    started_at: datetime
    until: datetime | None  # None: permanent
    permanent: bool


class RealityCheckView(msgspec.Struct):
    interval_minutes: int
    session_started_at: datetime
    acknowledged_at: datetime
    next_due: datetime
    due: bool  # the next bet waits for the player's acknowledgement


class ResponsibleStatusView(msgspec.Struct):
    player_id: int
    as_of: datetime
    excluded: bool
    self_excluded: bool
    has_deposit_limit: bool
    limits: list[LimitView]
    exclusion: ExclusionView | None  # only while in force
    reality_check: RealityCheckView | None


def _limit_view(status: LimitStatus) -> LimitView:
    limit = status.limit
    pending = limit.pending
    return LimitView(
        kind=limit.kind.value,
        period=limit.period.value,
        currency=limit.currency.code,
        amount=limit.amount.amount,
        used=status.used.amount,
        remaining=status.remaining.amount,
        set_at=limit.set_at,
        pending=None
        if pending is None
        else PendingChangeView(
            amount=pending.amount,
            removal=pending.is_removal,
            requested_at=pending.requested_at,
            confirmable_at=pending.confirmable_at,
            confirmable=status.confirmable,
        ),
    )


def _exclusion_view(exclusion: Exclusion | None) -> ExclusionView | None:
    if exclusion is None:
        return None
    return ExclusionView(
        exclusion.kind.value, exclusion.started_at, exclusion.until, exclusion.permanent
    )


def _reality_check_view(check: RealityCheck | None, now: datetime) -> RealityCheckView | None:
    if check is None:
        return None
    return RealityCheckView(
        check.minutes,
        check.session_started_at,
        check.acknowledged_at,
        check.next_due,
        check.is_due(now),
    )


def status_view(status: ResponsibleStatus) -> ResponsibleStatusView:
    return ResponsibleStatusView(
        player_id=status.player_id,
        as_of=status.now,
        excluded=status.excluded,
        self_excluded=status.self_excluded,
        has_deposit_limit=status.has_deposit_limit,
        limits=[_limit_view(s) for s in status.limits],
        exclusion=_exclusion_view(status.exclusion),
        reality_check=_reality_check_view(status.reality_check, status.now),
    )


class ResponsibleGamblingController(Controller):
    path = "/api/v1/players/{player_id:int}/responsible-gambling"
    tags = ["players"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY

    @get(
        "/",
        summary="A player's responsible-gambling limits, exclusion and reality check "
        "(read only: staff cannot change or lift them)",
    )
    @inject
    async def status(
        self, player_id: FromPath[int], load: FromDishka[GetResponsibleStatus]
    ) -> ResponsibleStatusView:
        return status_view(await load(player_id))
