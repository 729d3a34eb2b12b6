"""`croupier bankroll`: the house bankroll that backs every win."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer


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
    from application.bankroll import FundBankroll, FundBankrollCommand
    from application.bankroll_balance import GetBankrollBalance
    from domain.money import CurrencyRegistry, Money

    async def fund(container: AsyncContainer) -> str:
        # The catalogue the unit of work loaded when it started, as every door reads it.
        currencies = await container.get(CurrencyRegistry)
        money = Money.parse(amount, currencies.get(currency_code.upper()))
        async with container() as request:
            await (await request.get(FundBankroll))(
                FundBankrollCommand(money, staff, key or f"bankroll:{secrets.token_hex(12)}")
            )
            total = await (await request.get(GetBankrollBalance))(money.currency)
        return f"bankroll funded with {money}; it now holds {total}"

    click.echo(with_container(fund))
