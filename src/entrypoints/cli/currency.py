"""`croupier currency`: the accepted currencies, which are data, not code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from application.currencies import CurrencyAdded
    from domain.money import Currency


@click.group()
def currency() -> None:
    """Accepted currencies (data, not code)."""


@currency.command("list")
def currency_list() -> None:
    """List the accepted currencies."""
    from application.currencies import ListCurrencies

    async def listing(container: AsyncContainer) -> list[Currency]:
        async with container() as scope:
            return list(await (await scope.get(ListCurrencies))())

    for c in with_container(listing):
        click.echo(f"{c.code:<8} exponent {c.exponent:<2} {c.name}")


@currency.command("add")
@click.argument("code")
@click.argument("exponent", type=click.IntRange(0, 18))
@click.option("--name", default="", help="Human name, e.g. 'Toncoin'.")
def currency_add(code: str, exponent: int, name: str) -> None:
    """Accept a new currency: CODE with EXPONENT decimal places. Restart running services."""
    from application.currencies import AddCurrency

    async def add(container: AsyncContainer) -> CurrencyAdded:
        async with container() as scope:
            return await (await scope.get(AddCurrency))(code, exponent, name)

    result = with_container(add)
    code = result.currency.code
    click.echo(f"{code} added" if result.added else f"{code} already exists")
