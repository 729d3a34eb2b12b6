"""`croupier crypto-pay`: the reconciliation of Crypto Pay invoices by hand or from cron
(docs/payments-crypto.md, "When the provider is down")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container
from entrypoints.cli.failures import fail

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from application.crypto_pay import PollReport, ProviderBalance


@click.group("crypto-pay")
def crypto_pay() -> None:
    """Crypto Pay (USDT / TON) deposits and payouts."""


@crypto_pay.command("poll")
def crypto_pay_poll() -> None:
    """Ask Crypto Pay about the open invoices (the job `croupier run` repeats): credit a paid
    one whose webhook was missed, mark expired ones. Safe to run again, or beside a running
    instance: an invoice is credited once, whoever sees it paid first."""
    from application.crypto_pay import PollCryptoInvoices
    from application.ports import CryptoPayConfig

    async def poll(container: AsyncContainer) -> PollReport | None:
        if not (await container.get(CryptoPayConfig)).enabled:
            return None
        async with container() as scope:
            return await (await scope.get(PollCryptoInvoices))()

    report = with_container(poll)
    if report is None:
        fail("Crypto Pay is not configured: set CROUPIER_CRYPTO_PAY_TOKEN")
    click.echo(
        f"{report.checked} open invoices checked: {report.credited} credited, "
        f"{report.held} held for staff, {report.expired} expired"
    )
    if report.provider_down:
        fail("Crypto Pay did not answer; nothing changed, try again later")


@crypto_pay.command("balance")
def crypto_pay_balance() -> None:
    """What Crypto Pay holds for the app per asset, by the books (deposits credited less
    payouts paid) and by the provider (getBalance): the provider's line of the bankroll
    report, and its reconcile. Exits 1 when they differ or Crypto Pay does not answer."""
    from application.crypto_pay import CryptoPayBalances
    from application.ports import CryptoPayConfig

    async def compare(container: AsyncContainer) -> list[ProviderBalance] | None:
        if not (await container.get(CryptoPayConfig)).enabled:
            return None
        async with container() as scope:
            return list(await (await scope.get(CryptoPayBalances))())

    balances = with_container(compare)
    if balances is None:
        fail("Crypto Pay is not configured: set CROUPIER_CRYPTO_PAY_TOKEN")
    for balance in balances:
        click.echo(balance.line())
    if any(b.difference is None or b.difference.amount for b in balances):
        fail("the money held at Crypto Pay does not match the books (see above)")
