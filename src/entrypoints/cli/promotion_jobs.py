"""The promotions' periodic jobs that `croupier run` starts beside its parts: the bonus sweep
(expire what ran out, convert what is wagered) and the referral commissions. Every process
but the relay's own may run them: each bonus ends once under its row lock, each commission is
paid once per referrer, period and currency (docs/bonuses.md)."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.bonuses import ConvertBonus, ExpireBonuses
from application.free_bets import ExpireFreeBets
from application.referrals import PayReferralCommissions
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_promotion_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if parts == frozenset({"relay"}):
        return []
    jobs: list[asyncio.Task[None]] = []
    if settings.bonus_sweep_interval_s:

        async def bonuses() -> None:
            async with container() as scope:
                expired = await (await scope.get(ExpireBonuses))()
                converted = await (await scope.get(ConvertBonus)).sweep()
                free_bets = await (await scope.get(ExpireFreeBets))()
            if expired or converted or free_bets:
                log.info(
                    "bonuses: %d expired, %d converted; %d free bet(s) expired",
                    expired,
                    converted,
                    free_bets,
                )

        jobs.append(
            asyncio.create_task(every(settings.bonus_sweep_interval_s, bonuses, stop, "bonuses"))
        )
    if settings.referral_interval_s:

        async def referrals() -> None:
            async with container() as scope:
                run = await (await scope.get(PayReferralCommissions))()
            if run.paid or run.postponed:
                log.info(
                    "referral commissions: %d paid, %d postponed", len(run.paid), len(run.postponed)
                )

        jobs.append(
            asyncio.create_task(
                every(settings.referral_interval_s, referrals, stop, "referral commissions")
            )
        )
    return jobs
