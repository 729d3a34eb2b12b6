"""`croupier referrals`: settle referral commissions by hand or from cron, and fund the
programme's budget (docs/bonuses.md, "Referrals")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from application.promotions.raise_budget import RaisedBudget
    from application.referrals import ReferralRun


@click.group()
def referrals() -> None:
    """Referral commissions and their budget."""


@referrals.command("pay")
def referrals_pay() -> None:
    """Settle the commissions of complete periods not settled yet (the job `croupier run`
    repeats). Safe to run again, or beside a running instance: each referrer, period and
    currency is paid once."""
    from application.referrals import PayReferralCommissions

    async def pay(container: AsyncContainer) -> ReferralRun:
        async with container() as scope:
            return await (await scope.get(PayReferralCommissions))()

    run = with_container(pay)
    for s in run.settled:
        c = s.commission
        click.echo(
            f"  player {c.referrer_id} {c.currency} {s.window.start:%Y-%m-%d}: {s.outcome}"
            f" {s.amount} (base {c.base}, {len(c.excluded)} excluded)"
        )
    for referrer, currency, start, why in run.postponed:
        click.echo(f"  player {referrer} {currency} {start:%Y-%m-%d}: postponed ({why})")
    click.echo(
        f"{len(run.paid)} paid, {len(run.settled) - len(run.paid)} settled without payment, "
        f"{len(run.postponed)} postponed"
    )


@referrals.command("budget")
@click.argument("currency")
@click.argument("total")
def referrals_budget(currency: str, total: str) -> None:
    """Open the referral budget of CURRENCY with TOTAL (e.g. `XTR 50000`, in the currency's
    units), or raise its total to TOTAL."""
    from application.referrals import SetReferralBudget
    from domain.budget_raises import RaiseState
    from domain.money import CurrencyRegistry, Money

    async def fund(container: AsyncContainer) -> RaisedBudget:
        registry = await container.get(CurrencyRegistry)
        amount = Money.parse(total, registry.get(currency.upper()))
        async with container() as scope:
            return await (await scope.get(SetReferralBudget))(amount)

    result = with_container(fund)
    budget, raised = result.budget, result.raised
    click.echo(f"budget {budget.code}: {budget.spent} spent of {budget.total}")
    if raised is not None and raised.state is RaiseState.AWAITING_APPROVAL:
        click.echo(
            f"the raise of {raised.increase} waits for a staff member's approval"
            f" (four eyes): POST /api/v1/promotion-budgets/raises/{raised.id}/approve"
        )
