"""The Mini App's referral route: the player's link and what it brought (docs/miniapp.md,
"Referrals"). A player the standing refuses a promotion gets the standing's refusal (problem
details: 403 blocked or unconfirmed, 409 during a time-out or self-exclusion) and the screen
stays hidden: no offer, no figures."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from application.referrals import GetReferralStats
from domain.referrals import referral_link
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view

log = logging.getLogger(__name__)
# Asking Telegram for the bot's username once (aiogram keeps it); a page never waits longer.
USERNAME_WAIT_S = 3.0


class ReferralView(msgspec.Struct):
    code: str
    start_param: str  # what a friend's link carries: ref_<code>
    link: str | None  # https://t.me/<bot>?start=ref_<code>; None when the bot is unknown
    referred: int
    period: str  # day | week
    period_start: datetime
    period_end: datetime
    basis: str  # ngr | deposits
    share_bps: int
    caps: list[Amount]  # the currencies that earn a commission, and their caps per period
    this_period: list[Amount]  # so far, an estimate until the period is settled
    paid_total: list[Amount]


async def _bot_username(runtime: TelegramRuntime) -> str | None:
    if runtime.bot is None:
        return None
    try:
        return (await asyncio.wait_for(runtime.bot.me(), USERNAME_WAIT_S)).username
    except Exception as error:  # Telegram away or slow: the screen shows the code instead
        log.warning("the bot's username is unknown (%s): the referral link is left out", error)
        return None


class MiniAppReferralController(Controller):
    path = "/api/v1/app/referral"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get(
        "/",
        summary="The player's referral link, friends invited and commission",
        description="The standing's problem for a player refused promotions: 403 blocked or "
        "unconfirmed, 409 timed out or self-excluded.",
    )
    @inject
    async def referral(
        self,
        player_id: NamedDependency[int],
        stats: FromDishka[GetReferralStats],
        runtime: FromDishka[TelegramRuntime],
    ) -> ReferralView:
        found = await stats(player_id)
        username = await _bot_username(runtime)
        policy = found.policy
        return ReferralView(
            code=found.code,
            start_param=f"ref_{found.code}",
            link=referral_link(username, found.code) if username else None,
            referred=found.referred,
            period=policy.period.value,
            period_start=found.period.start,
            period_end=found.period.end,
            basis=policy.basis.value,
            share_bps=policy.share_bps,
            caps=[amount_view(m) for m in found.caps],
            this_period=[amount_view(m) for m in found.this_period],
            paid_total=[amount_view(m) for m in found.paid_total],
        )
