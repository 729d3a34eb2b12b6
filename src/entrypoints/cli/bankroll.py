"""`croupier bankroll`: the house bankroll that backs every win."""

from __future__ import annotations

import asyncio
import secrets

import click

from application.bankroll import FundBankroll, FundBankrollCommand
from application.ports import UnitOfWorkFactory
from domain.accounts import AccountKind
from domain.money import CurrencyRegistry, Money
from entrypoints.cli.environment import prepared
from entrypoints.cli.failures import guarded
from entrypoints.composition.containers import make_cli_container


@click.group()
def bankroll() -> None:
    """The house bankroll that backs every win."""


@bankroll.command("fund")
@click.argument("currency_code", metavar="CURRENCY")
@click.argument("amount")
@click.option("--staff", required=True, help="Who is funding it (recorded in the ledger).")
@click.option("--key", default=None, help="Idempotency key (default: a new one).")
def bankroll_fund(currency_code: str, amount: str, staff: str, key: str | None) -> None:
    """Add AMOUNT (in major units, e.g. 10.5) of CURRENCY to the bankroll."""
    settings, endpoints = prepared()

    async def go() -> str:
        container = make_cli_container(settings, endpoints)
        try:
            uow = await container.get(UnitOfWorkFactory)
            # The catalogue the unit of work loaded when it started, as every door reads it.
            currencies = await container.get(CurrencyRegistry)
            money = Money.parse(amount, currencies.get(currency_code.upper()))
            async with container() as request:
                fund = await request.get(FundBankroll)
                await fund(
                    FundBankrollCommand(money, staff, key or f"bankroll:{secrets.token_hex(12)}")
                )
            async with uow() as unit:
                total = await unit.accounts.house_balance(
                    AccountKind.HOUSE_BANKROLL, money.currency
                )
            return f"bankroll funded with {money}; it now holds {Money(total, money.currency)}"
        finally:
            await container.close()

    click.echo(guarded(lambda: asyncio.run(go())))
