"""The Mini App's VIP routes (issue 22): the level, rakeback and the daily play-money bonus.

    GET  /api/v1/app/vip                      the level, progress, claimable rakeback, bonus
    POST /api/v1/app/vip/rakeback/claim       {currency="XTR", claim_id}  pays what accrued
    POST /api/v1/app/vip/daily                {}                          the day's FUN bonus

Every route is a promotion (`Operation.PROMOTION`): a player timed out, self-excluded,
without the terms or blocked is refused with the standing's reason (409
`responsible_gambling`, 403 `terms_not_accepted`; a blocked player's session is refused at
the door), and sees nothing about levels, rakeback or bonuses. A claim is idempotent on
`claim_id` (a repeat answers the first claim); nothing accrued is 409 `nothing_to_claim`."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus, VipStatus
from domain.money import CurrencyRegistry
from domain.vip import VipLevel
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view, parse_currency


class LevelView(msgspec.Struct):
    name: str
    threshold: Amount  # the volume that reaches it, in the ladder's currency
    rakeback_percent: str  # of the house edge, exact decimal ("10", "12.5")


class VipView(msgspec.Struct):
    level: LevelView
    next_level: LevelView | None  # null at the top
    wagered: Amount  # settled bets in the ladder's currency over the window
    to_next: Amount | None
    window_days: int
    claimable: list[Amount]  # per rakeback currency, floored to minor units
    daily_bonus: Amount
    daily_taken: bool
    next_daily_at: datetime


class ClaimBody(msgspec.Struct, forbid_unknown_fields=True):
    claim_id: uuid.UUID  # one per press: a retried request answers the first claim
    currency: str = "XTR"


class ClaimView(msgspec.Struct):
    claim_id: uuid.UUID
    paid: Amount
    level: str
    wagered: Amount  # what the paid period's bets staked
    since: datetime
    until: datetime
    transaction_id: uuid.UUID


class DailyView(msgspec.Struct):
    paid: Amount | None  # null: today's bonus was already taken
    next_at: datetime


def _level(level: VipLevel, status: VipStatus) -> LevelView:
    percent = level.share * 100
    shown = str(percent.numerator) if percent.denominator == 1 else f"{float(percent):g}"
    currency = status.progress.wagered.currency
    return LevelView(level.name, Amount(level.threshold, currency.code), shown)


def vip_view(status: VipStatus) -> VipView:
    progress = status.progress
    return VipView(
        level=_level(progress.level, status),
        next_level=None if progress.next_level is None else _level(progress.next_level, status),
        wagered=amount_view(progress.wagered),
        to_next=None if progress.to_next is None else amount_view(progress.to_next),
        window_days=status.window_days,
        claimable=[amount_view(a) for a in status.claimable],
        daily_bonus=amount_view(status.daily_bonus),
        daily_taken=status.daily_taken,
        next_daily_at=status.next_daily_at,
    )


class MiniAppVipController(Controller):
    path = "/api/v1/app/vip"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get("/", summary="The player's VIP level, progress, claimable rakeback and daily bonus")
    @inject
    async def status(
        self, player_id: NamedDependency[int], get_status: FromDishka[GetVipStatus]
    ) -> VipView:
        return vip_view(await get_status(player_id))

    @post(
        "/rakeback/claim",
        status_code=200,
        summary="Claim the rakeback accrued since the last claim",
        description="Pays stake x house edge x the level's share over the bets settled since "
        "the last claim, floored once to minor units (docs/bonuses.md). Idempotent on "
        "`claim_id`; 409 `nothing_to_claim` when less than one minor unit accrued.",
    )
    @inject
    async def claim(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[ClaimBody],
        claim: FromDishka[ClaimRakeback],
        currencies: FromDishka[CurrencyRegistry],
    ) -> ClaimView:
        currency = parse_currency(currencies, data.currency, "currency")
        paid = await claim(player_id, currency, data.claim_id)
        return ClaimView(
            claim_id=paid.id,
            paid=amount_view(paid.amount),
            level=paid.level,
            wagered=amount_view(paid.wagered),
            since=paid.since,
            until=paid.until,
            transaction_id=paid.transaction_id,
        )

    @post(
        "/daily",
        status_code=200,
        summary="Take today's play-money (FUN) bonus",
        description="Once a UTC day; a second request the same day answers `paid: null` "
        "with the time of the next one.",
    )
    @inject
    async def daily(
        self, player_id: NamedDependency[int], daily: FromDishka[ClaimDailyBonus]
    ) -> DailyView:
        result = await daily(player_id)
        paid = None if result.paid is None else amount_view(result.paid)
        return DailyView(paid=paid, next_at=result.next_at)
