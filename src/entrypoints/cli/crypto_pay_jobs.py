"""The Crypto Pay reconciliation that `croupier run` starts beside the parts that serve the
deposit (`bot`) or its webhook (`http`), when a token is set: open invoices are checked with
the provider (docs/payments-crypto.md). Several processes may run it: an invoice is credited
once, under its row lock, whoever sees it paid first. Beside the `http` part, the payout run
too: approved USDT / TON withdrawals not settled yet are sent again under their spend id."""

from __future__ import annotations

import asyncio
import logging

from dishka import AsyncContainer

from application.crypto_pay import PollCryptoInvoices
from application.withdrawals import SendPayouts
from entrypoints.process.periodic import every
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def start_crypto_pay_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    if (
        settings.crypto_pay_token is None
        or not settings.crypto_pay_poll_interval_s
        or not parts & {"bot", "http"}
    ):
        return []

    async def poll() -> None:
        async with container() as scope:
            report = await (await scope.get(PollCryptoInvoices))()
        if report.credited or report.held or report.expired:
            log.info(
                "crypto pay: %d credited, %d held, %d expired",
                report.credited,
                report.held,
                report.expired,
            )

    async def pay_out() -> None:
        async with container() as scope:
            run = await (await scope.get(SendPayouts))()
        if run.paid or run.failed or run.waiting:
            log.info(
                "crypto pay payouts: %d paid, %d failed, %d waiting",
                run.paid,
                run.failed,
                run.waiting,
            )

    interval = settings.crypto_pay_poll_interval_s
    tasks = [asyncio.create_task(every(interval, poll, stop, "crypto pay poll"))]
    if "http" in parts:  # the part that holds the staff's decisions, and so the payouts
        tasks.append(asyncio.create_task(every(interval, pay_out, stop, "crypto pay payouts")))
    return tasks
