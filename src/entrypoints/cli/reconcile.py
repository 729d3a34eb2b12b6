"""`croupier reconcile`: check every invariant of the books."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container
from entrypoints.cli.failures import fail

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from application.reconciliation import ReconcileReport


@click.command("reconcile")
def reconcile_books() -> None:
    """Check every invariant of the books: per-currency and per-transaction zero sums, each
    balance equal to its legs, no forbidden negative, every won or lost bet recomputed from its
    seeds or dice, the promotion books (budgets, bonuses, the promotions account), the outbox
    complete. Prints each discrepancy; exits 1 when there is one."""
    from application.reconciliation import Reconcile

    async def check(container: AsyncContainer) -> ReconcileReport:
        async with container() as scope:
            return await (await scope.get(Reconcile))()

    report = with_container(check)
    for problem in report.discrepancies:
        click.echo(f"  {problem}")
    if not report.clean:
        fail(f"the books do NOT reconcile: {len(report.discrepancies)} discrepancy(ies)")
    click.echo(
        f"the books reconcile: ledger invariants hold, {report.bets_recomputed} settled bet(s) "
        "recomputed, the outbox is complete"
    )
