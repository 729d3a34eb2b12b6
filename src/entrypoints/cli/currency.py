"""`croupier currency`: the accepted currencies, which are data, not code."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.repositories import SqlCurrencies
from domain.money import Currency
from entrypoints.cli.environment import prepared
from entrypoints.cli.failures import guarded
from entrypoints.composition.containers import make_cli_container

T = TypeVar("T")


@click.group()
def currency() -> None:
    """Accepted currencies (data, not code)."""


@currency.command("list")
def currency_list() -> None:
    """List the accepted currencies."""
    for c in _with_catalog(lambda catalog: catalog.all()):
        click.echo(f"{c.code:<8} exponent {c.exponent:<2} {c.name}")


@currency.command("add")
@click.argument("code")
@click.argument("exponent", type=click.IntRange(0, 18))
@click.option("--name", default="", help="Human name, e.g. 'Toncoin'.")
def currency_add(code: str, exponent: int, name: str) -> None:
    """Accept a new currency: CODE with EXPONENT decimal places. Restart running services."""
    new = guarded(lambda: Currency(code.upper(), exponent, name))
    added = _with_catalog(lambda catalog: catalog.add(new))
    click.echo(f"{new.code} added" if added else f"{new.code} already exists")


def _with_catalog(action: Callable[[SqlCurrencies], Awaitable[T]]) -> T:
    # No use case stands between the operator and the catalog yet: the command opens the
    # adapter on a transaction of its own (CurrencyCatalog is the port it implements).
    settings, endpoints = prepared()

    async def go() -> T:
        container = make_cli_container(settings, endpoints)
        try:
            engine = await container.get(AsyncEngine)
            async with engine.begin() as conn:
                return await action(SqlCurrencies(conn))
        finally:
            await container.close()

    return guarded(lambda: asyncio.run(go()))
