"""`croupier bankroll`: the house bankroll that backs every win."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import click

from entrypoints.cli.environment import with_container

if TYPE_CHECKING:
    from dishka import AsyncContainer

    from domain.money import CurrencyRegistry


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


@bankroll.command("show")
def bankroll_show() -> None:
    """The bankroll report: per currency, the bankroll (over its shards), what the house owes
    players (wallets, bets in play, withdrawals in flight; bonus money apart) and, for Crypto
    Pay's assets, the money held there by the books against Crypto Pay's balance. Crypto Pay
    down is said on its line; the rest is shown. Amounts in major units."""
    from application.bankroll_report import Bankroll, BankrollReport
    from domain.money import CurrencyRegistry

    async def show(container: AsyncContainer) -> tuple[Bankroll, CurrencyRegistry]:
        currencies = await container.get(CurrencyRegistry)
        async with container() as request:
            return await (await request.get(BankrollReport))(), currencies

    made, currencies = with_container(show)
    click.echo(f"Bankroll report, {made.generated_at:%Y-%m-%d %H:%M:%S} UTC")
    for line in made.lines:
        money, code = line.money, line.money.currency

        def shown(minor: int, code: str = code) -> str:
            return _major(minor, code, currencies)

        click.echo(
            f"{code}: bankroll {shown(money.bankroll)}; owed to players "
            f"{shown(money.liability)} (wallets {shown(money.player_balances)}, in play "
            f"{shown(money.bets_in_play)}, withdrawals {shown(money.withdrawals_in_flight)}); "
            f"bonus money {shown(money.bonus_balances)}"
        )
        held = line.crypto_pay
        if held is None:
            continue
        books = shown(held.books.amount)
        if held.provider is None or held.difference is None:
            click.echo(f"  at Crypto Pay: books {books}, Crypto Pay not answered")
            continue
        said, gap = shown(held.provider.amount), held.difference.amount
        verdict = "they agree" if not gap else f"DIFFERENCE {'+' if gap > 0 else '-'}"
        if gap:
            verdict += shown(abs(gap))
        click.echo(f"  at Crypto Pay: books {books}, Crypto Pay {said}: {verdict}")


def _major(minor: int, code: str, currencies: CurrencyRegistry) -> str:
    """Minor units as the currency's major units ("12.5 USDT"); a currency the catalogue does
    not know (a row added since this process started) in minor units."""
    from decimal import Decimal

    from domain.errors import UnknownCurrency

    try:
        exponent = currencies.get(code).exponent
    except UnknownCurrency:
        return f"{minor} {code} (minor units)"
    return f"{format(Decimal(minor).scaleb(-exponent).normalize(), 'f')} {code}"
