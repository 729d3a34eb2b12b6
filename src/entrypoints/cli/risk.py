"""`croupier risk`: flags for staff review and the outcome monitor, run by hand or by cron."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from application.risk import MonitorResult, ScanResult


@click.group()
def risk() -> None:
    """Risk controls: flags for staff review and outcome monitoring."""


@risk.command("scan")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help="Days of settled bets to look at (default: CROUPIER_RISK_SCAN_DAYS).",
)
def risk_scan(days: int | None) -> None:
    """Flag players whose results are improbable for the bets they made (z-score). Safe to
    run again: a player with an open flag of that kind gets no second one."""
    from application.risk import ScanPlayersForRisk

    async def scan(container: AsyncContainer) -> ScanResult:
        async with container() as scope:
            return await (await scope.get(ScanPlayersForRisk))(days)

    result = with_container(scan)
    click.echo(
        f"scanned bets settled {result.since:%Y-%m-%d %H:%M} - {result.until:%Y-%m-%d %H:%M} UTC"
    )
    for flag in result.flags:
        evidence = flag.evidence
        click.echo(
            f"  flag {flag.id}: player {flag.player_id} {evidence.get('currency')} "
            f"z={evidence.get('z')} over {evidence.get('bets')} bets"
        )
    click.echo(f"{len(result.flags)} new flag(s)")


@risk.command("monitor")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=7,
    show_default=True,
    help="UTC days to look at, today included.",
)
def risk_monitor(days: int) -> None:
    """Test every game's outcomes against theory (chi-square) and its actual RTP against
    theory; alerts are logged and written to the audit log. Exits 3 when there is one."""
    from application.risk import MonitorOutcomes

    async def monitor(container: AsyncContainer) -> MonitorResult:
        async with container() as scope:
            return await (await scope.get(MonitorOutcomes))(days)

    result = with_container(monitor)
    period = result.period
    click.echo(f"outcomes {period.since} - {period.until} (exclusive)")
    for test in result.outcomes:
        verdict = "no test" if test.test is None else f"p={test.test.p_value:.3g}"
        if test.test is not None:
            verdict += f" chi2={test.test.statistic:.2f} dof={test.test.dof}"
        click.echo(
            f"  {test.game:<14} {test.bets:>9} bets  {verdict}{'  ALERT' if test.alert else ''}"
        )
    for row in result.rtp:
        if row.drift:
            click.echo(f"  RTP drift: {row.game} in {row.currency} over {row.bets} bets  ALERT")
    click.echo(f"{result.alerts} alert(s)")
    if result.alerts:
        sys.exit(3)
