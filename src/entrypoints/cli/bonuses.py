"""`croupier bonuses`: the bonus jobs `croupier run` repeats, by hand or from cron
(docs/bonuses.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer


@click.group()
def bonuses() -> None:
    """Bonuses: expire those whose time ran out, convert those whose wagering is met."""


@bonuses.command("expire")
def bonuses_expire() -> None:
    """Forfeit every active bonus whose expiry has come (reason `expired`), and mark free bets
    left unplayed past theirs `expired`. Safe to run again, and beside `croupier run`: a
    bonus ends once, a free bet too."""
    from application.bonuses import ExpireBonuses
    from application.free_bets import ExpireFreeBets

    async def expire(container: AsyncContainer) -> tuple[int, int]:
        async with container() as scope:
            bonuses = await (await scope.get(ExpireBonuses))()
            # A step of the same job: free bets left unplayed past their expiry.
            return bonuses, await (await scope.get(ExpireFreeBets))()

    bonuses, free_bets = with_container(expire)
    click.echo(f"{bonuses} bonus(es) expired, {free_bets} free bet(s) expired")


@bonuses.command("sweep")
def bonuses_sweep() -> None:
    """Convert every active bonus whose wagering is met into cash. Safe to run again."""
    from application.bonuses import ConvertBonus

    async def sweep(container: AsyncContainer) -> int:
        async with container() as scope:
            return await (await scope.get(ConvertBonus)).sweep()

    click.echo(f"{with_container(sweep)} bonus(es) converted")
